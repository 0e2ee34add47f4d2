package timers

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
func (RemindArgs) Kind() string { return "timers_remind" }

// AnnounceArgs is the job posting one reminder in a Discord channel.
type AnnounceArgs struct {
	Instance int64  `json:"instance"`
	Message  string `json:"message"`
}

// Kind names the job in the queue.
func (AnnounceArgs) Kind() string { return "timers_announce" }

func (tm *Timers) register(reg *jobs.Registry) {
	jobs.Add(reg, &remindWorker{tm: tm})
	jobs.Add(reg, &announceWorker{tm: tm})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return RemindArgs{} }, Every: time.Minute, Priority: 1,
		Summary: "Send the reminders of structure timers about to come out.",
		Label:   "timers.job.remind", Help: "timers.job.remind_help"})
}

type remindWorker struct {
	river.WorkerDefaults[RemindArgs]
	tm *Timers
}

func (w *remindWorker) Work(ctx context.Context, _ *river.Job[RemindArgs]) error {
	_, err := w.tm.Remind(ctx)
	return err
}

type announceWorker struct {
	river.WorkerDefaults[AnnounceArgs]
	tm *Timers
}

func (w *announceWorker) Work(ctx context.Context, job *river.Job[AnnounceArgs]) error {
	_, conn, err := w.tm.services.Connector(ctx, job.Args.Instance)
	if err != nil {
		return err
	}
	a, ok := conn.(Announcer)
	if !ok {
		return river.JobCancel(errors.New("timers: the service no longer posts messages"))
	}
	return a.Announce(ctx, job.Args.Message)
}

// Remind sends the reminders due now: of each timer coming out within the
// site's minutes that has none yet. The timers are claimed by one UPDATE
// (notified_at set where it was unset), in the transaction that stores the
// notifications and queues the Discord post: a second run, or another
// process's run at the same time, finds them claimed. It gives how many
// timers were reminded of.
func (tm *Timers) Remind(ctx context.Context) (int, error) {
	values, err := tm.settings.Values(ctx)
	if err != nil {
		return 0, err
	}
	minutes := values.Int(SettingNotifyMinutes)
	if minutes <= 0 {
		return 0, nil
	}
	instance, err := tm.announceInstance(ctx, values.String(SettingNotifyService))
	if err != nil {
		return 0, err
	}
	now := tm.now().UTC()
	n := 0
	err = tm.db.InTx(ctx, func(tx *store.Tx) error {
		var due []Timer
		err := store.Each(ctx, tx, `UPDATE timers SET notified_at = $1
			WHERE notified_at IS NULL AND eve_time > $1 AND eve_time <= $2
			RETURNING id, system, planet_moon, structure, timer_type, objective, eve_time, COALESCE(corporation_id, 0)`,
			func(rows store.Rows) error {
				var t Timer
				if err := rows.Scan(&t.ID, &t.System, &t.PlanetMoon, &t.Structure, &t.TimerType, &t.Objective, &t.EVETime,
					&t.CorporationID); err != nil {
					return err
				}
				due = append(due, t)
				return nil
			}, now, now.Add(time.Duration(minutes)*time.Minute))
		if err != nil {
			return fmt.Errorf("timers: claim reminders: %w", err)
		}
		n = len(due)
		for _, t := range due {
			if err := tm.remind(ctx, tx, t, instance); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		tm.logger.InfoContext(ctx, "timer reminders sent", "timers", n)
	}
	return n, nil
}

// remind sends one timer's reminder in tx.
func (tm *Timers) remind(ctx context.Context, tx *store.Tx, t Timer, instance int64) error {
	accounts, err := Watchers(ctx, tx, t.CorporationID)
	if err != nil {
		return err
	}
	where := t.System
	if t.PlanetMoon != "" {
		where += " " + t.PlanetMoon
	}
	notice := notifications.Notice{Level: notifications.Warning, TitleKey: "timers.notice.title",
		MessageKey: "timers.notice.message", Args: map[string]string{"Structure": t.StructureName(), "Where": where,
			"Type": t.TimerType, "Objective": t.Objective, "When": web.EVETime(t.EVETime)},
		Coalesce: "timer:" + strconv.FormatInt(t.ID, 10)}
	for _, acc := range accounts {
		if err := tm.notifications.Send(ctx, tx, acc, notice); err != nil {
			return fmt.Errorf("timers: notify %d: %w", acc, err)
		}
	}
	if instance != 0 {
		if t.CorporationID != 0 {
			// A corporation's timer posted where others may read it would
			// tell them; it stays in-site.
			return nil
		}
		msg := fmt.Sprintf("Structure timer: %s (%s, %s) in %s comes out at %s EVE time.", t.StructureName(),
			t.TimerType, t.Objective, where, web.EVETime(t.EVETime))
		if _, err := tm.queue.InsertTx(ctx, tx, AnnounceArgs{Instance: instance, Message: msg},
			&river.InsertOpts{MaxAttempts: 3}); err != nil {
			return fmt.Errorf("timers: queue the post: %w", err)
		}
	}
	return nil
}

// Watchers lists the active accounts that may see a timer of corporation
// (0: everyone's): superusers and holders of a timer permission, of that
// corporation when it is one's.
func Watchers(ctx context.Context, q store.Querier, corporation int32) ([]int64, error) {
	perms := make([]string, len(Permissions))
	args := []any{}
	for i, p := range Permissions {
		args = append(args, p.Name)
		perms[i] = "$" + strconv.Itoa(i+1)
	}
	in := strings.Join(perms, ", ")
	query := `SELECT a.id FROM accounts a WHERE a.active AND (a.superuser
		OR EXISTS (SELECT 1 FROM account_permissions p WHERE p.account_id = a.id AND p.permission IN (` + in + `))
		OR EXISTS (SELECT 1 FROM state_permissions p WHERE p.state_id = a.state_id AND p.permission IN (` + in + `))
		OR EXISTS (SELECT 1 FROM group_permissions p JOIN group_members m ON m.group_id = p.group_id
			WHERE m.account_id = a.id AND p.permission IN (` + in + `)))`
	if corporation != 0 {
		args = append(args, corporation)
		query += ` AND (a.superuser OR EXISTS (SELECT 1 FROM characters c WHERE c.account_id = a.id AND c.main
			AND c.corporation_id = $` + strconv.Itoa(len(args)) + `))`
	}
	out, err := store.Column[int64](ctx, q, query+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("timers: watchers: %w", err)
	}
	return out, nil
}

// announceInstance finds the enabled instance named (by its slug) in the
// setting whose connector posts messages; 0 when none is named. One named
// but not there is logged and skipped: the in-site reminders still go.
func (tm *Timers) announceInstance(ctx context.Context, slug string) (int64, error) {
	slug = strings.TrimSpace(slug)
	if slug == "" {
		return 0, nil
	}
	list, err := tm.services.EnabledWhere(ctx, func(c services.Connector) bool { _, ok := c.(Announcer); return ok })
	if err != nil {
		return 0, err
	}
	for _, inst := range list {
		if inst.Slug == slug {
			return inst.ID, nil
		}
	}
	tm.logger.WarnContext(ctx, "timer reminders: no enabled service posts messages under this name", "service", slug)
	return 0, nil
}

// calendar gives the timers a member sees, from a week ago on, for their
// calendar feed.
func (tm *Timers) calendar(ctx context.Context, v *web.Viewer) ([]feature.Event, error) {
	if !mayView(v) {
		return nil, nil
	}
	list, err := list(ctx, tm.db, v, `t.eve_time >= $2`, `t.eve_time, t.id`, 1000, tm.now().UTC().AddDate(0, 0, -7))
	if err != nil {
		return nil, err
	}
	out := make([]feature.Event, 0, len(list))
	for _, t := range list {
		summary := fmt.Sprintf("%s %s timer: %s", strings.ToUpper(t.Objective[:1])+t.Objective[1:], t.TimerType, t.StructureName())
		if t.Important {
			summary = "[important] " + summary
		}
		loc := t.System
		if t.PlanetMoon != "" {
			loc += " " + t.PlanetMoon
		}
		desc := "Owner: " + t.Owner
		if t.Details != "" {
			desc += "\n" + t.Details
		}
		out = append(out, feature.Event{UID: "timer-" + strconv.FormatInt(t.ID, 10), Start: t.EVETime, End: t.EVETime,
			Summary: summary, Location: loc, Description: desc, Path: "/timers#timer-" + strconv.FormatInt(t.ID, 10),
			Updated: t.UpdatedAt})
	}
	return out, nil
}
