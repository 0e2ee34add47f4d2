package pings

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Pinger is a connector that sends a message to each of some of its
// accounts (an XMPP server's broadcast). delivered counts those it
// reached; an error says why the others were not.
type Pinger interface {
	Ping(ctx context.Context, to []services.Account, message string) (delivered int, err error)
}

// Announcer is a connector that posts a message where its members read
// it (Discord: the instance's ping channel).
type Announcer interface {
	Announce(ctx context.Context, message string) error
}

// announceReady is an Announcer that can tell whether its instance is set
// up to post (Discord's ping channel is optional): those that cannot are
// not offered.
type announceReady interface {
	CanAnnounce() bool
}

// The permissions, Alliance Auth's jabber_broadcast and
// jabber_broadcast_all, and the reading of the whole history. Their names
// are built from the feature's name so that the catalogue's check
// (i18ntest), which takes every quoted "pings.…" for a message id, does
// not take them for messages.
var (
	PermissionSend    = feature.Permission{Name: name + ".send", Label: "pings.permission.send"}
	PermissionSendAll = feature.Permission{Name: name + ".send_all", Label: "pings.permission.send_all"}
	PermissionView    = feature.Permission{Name: name + ".view", Label: "pings.permission.view"}
)

// name is the feature's name, the prefix of its permissions.
const name = "pings"

var (
	// pageAccess admits senders and readers of the history.
	pageAccess = web.Permission(PermissionSend.Name, PermissionSendAll.Name, PermissionView.Name)
	// sendAccess admits senders; which groups each may ping is the
	// handler's to check.
	sendAccess = web.Permission(PermissionSend.Name, PermissionSendAll.Name)
)

// MaxMessage is the longest message a member writes, in characters: with
// the "sent by" line and a few group names it still fits the 2,000
// characters of a Discord message.
const MaxMessage = 1500

// maxComposed is the longest text a ping sends, "sent by" line included
// (Discord's limit for a bot's message).
const maxComposed = 2000

// historyLength is how many pings the page lists.
const historyLength = 50

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// Pings is the feature.
type Pings struct {
	db       *store.DB
	services *services.Services
	queue    *core.Queue
	logger   *slog.Logger
	now      func() time.Time
}

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.Services == nil {
		return feature.Feature{}, errors.New("pings: the services are not built")
	}
	p := &Pings{db: c.DB, services: c.Services, queue: c.Queue, logger: c.Logger, now: time.Now}
	return feature.Feature{
		Name:        name,
		Permissions: []feature.Permission{PermissionSend, PermissionSendAll, PermissionView},
		Locales:     Locales,
		Routes:      p.mount,
		Menu:        []web.MenuItem{{Section: web.MenuServices, Label: "pings.nav", Path: "/pings", Access: pageAccess}},
		Jobs:        func(reg *jobs.Registry) { jobs.Add(reg, &deliverWorker{p: p}) },
		Hooks:       feature.Hooks{MergeAccounts: mergeAccounts},
	}, nil
}

// Request is a ping as a sender asks for it, from the form or the API.
type Request struct {
	Groups   []int64
	Message  string
	Instance int64   // the instance whose members are pinged (0: none)
	Channels []int64 // instances whose ping channel gets it
}

// Sender is who sends a ping: their account, main's name, and whether they
// may ping any group.
type Sender struct {
	AccountID int64
	Name      string
	All       bool
}

// ErrForbidden: the sender may not ping a group they chose.
var ErrForbidden = errors.New("pings: a group the sender may not ping")

// Options are what a sender may choose: the groups, the instances that
// ping members, those that post in a channel.
type Options struct {
	Groups     []Group
	Pingers    []services.Instance
	Announcers []services.Instance
}

// Options lists what sender may choose.
func (p *Pings) Options(ctx context.Context, sender Sender) (Options, error) {
	var o Options
	var err error
	if sender.All {
		o.Groups, err = allGroups(ctx, p.db)
	} else {
		o.Groups, err = groupsOf(ctx, p.db, sender.AccountID)
	}
	if err != nil {
		return o, err
	}
	if o.Pingers, err = p.services.EnabledWhere(ctx, isPinger); err != nil {
		return o, err
	}
	if o.Announcers, err = p.services.EnabledWhere(ctx, isAnnouncer); err != nil {
		return o, err
	}
	return o, nil
}

func isPinger(c services.Connector) bool { _, ok := c.(Pinger); return ok }

func isAnnouncer(c services.Connector) bool {
	if _, ok := c.(Announcer); !ok {
		return false
	}
	r, ok := c.(announceReady)
	return !ok || r.CanAnnounce()
}

// Send checks a request, every problem at once (ErrForbidden wrapped when
// a group is not the sender's to ping, i18n problems otherwise), and
// records the ping with a job per service, in one transaction.
func (p *Pings) Send(ctx context.Context, sender Sender, req Request) (Ping, error) {
	o, err := p.Options(ctx, sender)
	if err != nil {
		return Ping{}, err
	}
	var ps i18n.Problems
	var chosen []Group
	forbidden := false
	for _, id := range req.Groups {
		i := slices.IndexFunc(o.Groups, func(g Group) bool { return g.ID == id })
		if i < 0 {
			forbidden = true
			continue
		}
		if !slices.ContainsFunc(chosen, func(g Group) bool { return g.ID == id }) {
			chosen = append(chosen, o.Groups[i])
		}
	}
	switch {
	case forbidden:
		ps.Add("groups", "pings.error.group_forbidden")
	case len(chosen) == 0:
		ps.Add("groups", "pings.error.no_groups")
	}
	message := strings.TrimSpace(strings.ReplaceAll(req.Message, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(message); {
	case n == 0:
		ps.Add("message", "pings.error.empty")
	case n > MaxMessage:
		ps.Add("message", "pings.error.too_long", "Max", MaxMessage, "Length", n)
	}
	var deliveries []Delivery
	if req.Instance != 0 {
		i := slices.IndexFunc(o.Pingers, func(inst services.Instance) bool { return inst.ID == req.Instance })
		if i < 0 {
			ps.Add("instance", "pings.error.instance")
		} else {
			deliveries = append(deliveries, Delivery{InstanceID: req.Instance, Instance: o.Pingers[i].Name, Kind: KindMembers})
		}
	}
	for _, id := range req.Channels {
		i := slices.IndexFunc(o.Announcers, func(inst services.Instance) bool { return inst.ID == id })
		if i < 0 {
			ps.Add("channels", "pings.error.channel")
			break
		}
		if !slices.ContainsFunc(deliveries, func(d Delivery) bool { return d.InstanceID == id && d.Kind == KindChannel }) {
			deliveries = append(deliveries, Delivery{InstanceID: id, Instance: o.Announcers[i].Name, Kind: KindChannel})
		}
	}
	if req.Instance == 0 && len(req.Channels) == 0 {
		ps.Add("instance", "pings.error.no_destination")
	}
	now := p.now().UTC()
	ping := Ping{SenderID: sender.AccountID, SenderName: sender.Name, Groups: chosen, CreatedAt: now, Deliveries: deliveries}
	ping.Message = Compose(message, sender.Name, chosen, now)
	if len(ps) == 0 && utf8.RuneCountInString(ping.Message) > maxComposed {
		ps.Add("message", "pings.error.too_long_composed", "Max", maxComposed)
	}
	if len(ps) > 0 {
		err := ps.Err(errInvalid)
		if forbidden {
			err = fmt.Errorf("%w: %w", ErrForbidden, err)
		}
		return Ping{}, err
	}
	err = p.db.InTx(ctx, func(tx *store.Tx) error {
		if err := insertPing(ctx, tx, &ping); err != nil {
			return err
		}
		params := make([]river.InsertManyParams, 0, len(ping.Deliveries))
		for _, d := range ping.Deliveries {
			params = append(params, river.InsertManyParams{Args: DeliverArgs{Delivery: d.ID}, InsertOpts: deliverOpts()})
		}
		if _, err := p.queue.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("pings: queue: %w", err)
		}
		return nil
	})
	if err != nil {
		return Ping{}, err
	}
	names := make([]string, len(chosen))
	for i, g := range chosen {
		names[i] = g.Name
	}
	p.logger.InfoContext(ctx, "ping queued", "ping", ping.ID, "sender", sender.AccountID, "groups", names, "deliveries", len(ping.Deliveries))
	return ping, nil
}

// errInvalid is a request with problems (i18n.InvalidError).
var errInvalid = errors.New("pings: invalid ping")

// Compose is the text a ping sends: the message, then a line saying who
// sent it, to which groups and when (UTC), as Alliance Auth's broadcast
// does. The line is in English: it goes to members of every language.
func Compose(message, sender string, groups []Group, at time.Time) string {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	return message + "\n\n##### SENT BY " + sender + " TO " + strings.Join(names, ", ") + " WHEN " +
		at.UTC().Format("2006-01-02 15:04") + " UTC #####"
}

// History lists the pings a viewer may read: every ping for readers of the
// history and senders to any group, one's own for the others.
func (p *Pings) History(ctx context.Context, accountID int64, everything bool) ([]Ping, error) {
	if everything {
		return history(ctx, p.db, "", historyLength)
	}
	return history(ctx, p.db, `p.sender_id = $1`, historyLength, accountID)
}
