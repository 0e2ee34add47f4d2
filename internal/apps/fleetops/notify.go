package fleetops

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Announcer is a connector that posts a message where its members read
// it (Discord: the instance's ping channel).
type Announcer interface {
	Announce(ctx context.Context, message string) error
}

// RemindArgs is the job, every minute, that sends the reminders due.
type RemindArgs struct{}

// Kind names the job in the queue.
func (RemindArgs) Kind() string { return "fleetops_remind" }

// AnnounceArgs is the job posting one reminder in a Discord channel.
type AnnounceArgs struct {
	Instance int64  `json:"instance"`
	Message  string `json:"message"`
}

// Kind names the job in the queue.
func (AnnounceArgs) Kind() string { return "fleetops_announce" }

func (f *FleetOps) register(reg *jobs.Registry) {
	jobs.Add(reg, &remindWorker{f: f})
	jobs.Add(reg, &announceWorker{f: f})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return RemindArgs{} }, Every: time.Minute, Priority: 1,
		Summary: "Send the reminders of fleet operations about to start.",
		Label:   "fleetops.job.remind", Help: "fleetops.job.remind_help"})
}

type remindWorker struct {
	river.WorkerDefaults[RemindArgs]
	f *FleetOps
}

func (w *remindWorker) Work(ctx context.Context, _ *river.Job[RemindArgs]) error {
	_, err := w.f.Remind(ctx)
	return err
}

type announceWorker struct {
	river.WorkerDefaults[AnnounceArgs]
	f *FleetOps
}

func (w *announceWorker) Work(ctx context.Context, job *river.Job[AnnounceArgs]) error {
	_, conn, err := w.f.services.Connector(ctx, job.Args.Instance)
	if err != nil {
		return err
	}
	a, ok := conn.(Announcer)
	if !ok {
		return river.JobCancel(errors.New("fleetops: the service no longer posts messages"))
	}
	return a.Announce(ctx, job.Args.Message)
}

// Remind sends the reminders due now: of each operation starting within
// the site's minutes that has none yet. The operations are claimed by one
// UPDATE (notified_at set where it was unset) in the transaction that
// stores the notifications and queues the Discord post: a second run, or
// another process's run at the same time, finds them claimed. It gives how
// many operations were reminded of.
func (f *FleetOps) Remind(ctx context.Context) (int, error) {
	values, err := f.settings.Values(ctx)
	if err != nil {
		return 0, err
	}
	minutes := values.Int(SettingNotifyMinutes)
	if minutes <= 0 {
		return 0, nil
	}
	instance, err := f.announceInstance(ctx, values.String(SettingNotifyService))
	if err != nil {
		return 0, err
	}
	now := f.now().UTC()
	n := 0
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		var due []Operation
		err := store.Each(ctx, tx, `UPDATE fleet_operations SET notified_at = $1
			WHERE notified_at IS NULL AND start_at > $1 AND start_at <= $2
			RETURNING id, name, doctrine, system, start_at, fc`, func(rows store.Rows) error {
			var o Operation
			if err := rows.Scan(&o.ID, &o.Name, &o.Doctrine, &o.System, &o.Start, &o.FC); err != nil {
				return err
			}
			due = append(due, o)
			return nil
		}, now, now.Add(time.Duration(minutes)*time.Minute))
		if err != nil {
			return fmt.Errorf("fleetops: claim reminders: %w", err)
		}
		n = len(due)
		if n == 0 {
			return nil
		}
		accounts, err := Watchers(ctx, tx)
		if err != nil {
			return err
		}
		for _, o := range due {
			notice := notifications.Notice{Level: notifications.Info, TitleKey: "fleetops.notice.title",
				MessageKey: "fleetops.notice.message", Args: map[string]string{"Name": o.Name, "Doctrine": o.Doctrine,
					"System": o.System, "FC": o.FC, "When": web.EVETime(o.Start)},
				Coalesce: "fleetop:" + strconv.FormatInt(o.ID, 10)}
			for _, acc := range accounts {
				if err := f.notifications.Send(ctx, tx, acc, notice); err != nil {
					return fmt.Errorf("fleetops: notify %d: %w", acc, err)
				}
			}
			if instance == 0 {
				continue
			}
			msg := fmt.Sprintf("Fleet operation %s (%s) forms up in %s at %s EVE time. FC: %s.", o.Name, o.Doctrine, o.System,
				web.EVETime(o.Start), o.FC)
			if _, err := f.queue.InsertTx(ctx, tx, AnnounceArgs{Instance: instance, Message: msg},
				&river.InsertOpts{MaxAttempts: 3}); err != nil {
				return fmt.Errorf("fleetops: queue the post: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		f.logger.InfoContext(ctx, "fleet operation reminders sent", "operations", n)
	}
	return n, nil
}

// Watchers lists the active accounts that may see the operations:
// superusers and holders of a fleetops permission.
func Watchers(ctx context.Context, q store.Querier) ([]int64, error) {
	out, err := store.Column[int64](ctx, q, `SELECT a.id FROM accounts a WHERE a.active AND (a.superuser
		OR EXISTS (SELECT 1 FROM account_permissions p WHERE p.account_id = a.id AND p.permission IN ($1, $2))
		OR EXISTS (SELECT 1 FROM state_permissions p WHERE p.state_id = a.state_id AND p.permission IN ($1, $2))
		OR EXISTS (SELECT 1 FROM group_permissions p JOIN group_members m ON m.group_id = p.group_id
			WHERE m.account_id = a.id AND p.permission IN ($1, $2)))
		ORDER BY a.id`, PermissionView.Name, PermissionManage.Name)
	if err != nil {
		return nil, fmt.Errorf("fleetops: watchers: %w", err)
	}
	return out, nil
}

// announceInstance finds the enabled instance named (by its slug) in the
// setting whose connector posts messages; 0 when none is named. One named
// but not there is logged and skipped: the in-site reminders still go.
func (f *FleetOps) announceInstance(ctx context.Context, slug string) (int64, error) {
	slug = strings.TrimSpace(slug)
	if slug == "" {
		return 0, nil
	}
	list, err := f.services.EnabledWhere(ctx, func(c services.Connector) bool { _, ok := c.(Announcer); return ok })
	if err != nil {
		return 0, err
	}
	for _, inst := range list {
		if inst.Slug == slug {
			return inst.ID, nil
		}
	}
	f.logger.WarnContext(ctx, "fleet operation reminders: no enabled service posts messages under this name", "service", slug)
	return 0, nil
}

// defaultLength is an operation's length in the calendar when its
// duration says none that can be read.
const defaultLength = 2 * time.Hour

// calendar gives the operations, from a week ago on, for a member's
// calendar feed.
func (f *FleetOps) calendar(ctx context.Context, v *web.Viewer) ([]feature.Event, error) {
	if !mayView(v) {
		return nil, nil
	}
	ops, err := list(ctx, f.db, `o.start_at >= $1`, `o.start_at, o.id`, 1000, f.now().UTC().AddDate(0, 0, -7))
	if err != nil {
		return nil, err
	}
	out := make([]feature.Event, 0, len(ops))
	for _, o := range ops {
		length, ok := parseDuration(o.Duration)
		if !ok {
			length = defaultLength
		}
		desc := "Doctrine: " + o.Doctrine + "\nFC: " + o.FC
		if o.Type != "" {
			desc += "\nType: " + o.Type
		}
		if o.Description != "" {
			desc += "\n\n" + o.Description
		}
		out = append(out, feature.Event{UID: "fleetop-" + strconv.FormatInt(o.ID, 10), Start: o.Start, End: o.Start.Add(length),
			Summary: "Fleet: " + o.Name, Location: o.System, Description: desc,
			Path: "/fleetops#op-" + strconv.FormatInt(o.ID, 10), Updated: o.UpdatedAt})
	}
	return out, nil
}

// parseDuration reads a duration as officers write it ("2h", "90m",
// "1h30m", "2 hours", "3"): hours when it is a bare number.
func parseDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, r := range []struct{ long, short string }{{"hours", "h"}, {"hour", "h"}, {"hrs", "h"}, {"minutes", "m"},
		{"minute", "m"}, {"mins", "m"}, {"min", "m"}, {" ", ""}} {
		s = strings.ReplaceAll(s, r.long, r.short)
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 && n <= 48 {
		return time.Duration(n * float64(time.Hour)), true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > 48*time.Hour {
		return 0, false
	}
	return d, true
}
