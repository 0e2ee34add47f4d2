package feature

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is what one feature brings. Only Name is required; a feature
// leaves out what it does not have.
type Feature struct {
	// Name says which feature this is, in logs and errors ("groups",
	// "services.discord"); each name is used once.
	Name string
	// Settings are the run-time settings the feature reads; they show on
	// the settings page in the order the features are listed.
	Settings []settings.Definition
	// Permissions are the rights the feature declares, grantable to
	// states, groups and accounts.
	Permissions []Permission
	// Roles are the account roles (access.Roles, Neucore's) the feature
	// gives a meaning to: the pages offer a role only once a feature
	// declares it, so that member tracking's or the watchlists' roles stay
	// hidden until those features exist. Several features may declare one.
	Roles []string
	// RolesFromData, when set, is an SQL query of one column giving roles
	// an account ($1) holds through the feature's own data, as Neucore
	// gives tracking and watchlist from groups: they are added to the
	// roles it was given, on every page, and never stored (a change of the
	// data needs no sync). Each role must be one of Roles.
	RolesFromData string
	// Logins are the built-in EVE logins the feature uses (logins.Tracking
	// for member tracking, logins.Mail for EVE mail): members are offered
	// one only once a feature declares it. core.default and core.no-scopes
	// are always offered.
	Logins []string
	// Locales holds the feature's message catalogues, locales/<lang>.toml
	// (an embed.FS of the package's locales folder), merged with every
	// other feature's at load.
	Locales fs.FS
	// Catalogues are more message catalogues, of the parts the feature is
	// made of (the services' connector types), merged as Locales is.
	Catalogues []fs.FS
	// Routes mounts the feature's pages and API routes, each with its
	// access rule.
	Routes func(srv *web.Server) error
	// Menu are the feature's menu entries. Each names its section; within
	// a section entries show in the order the features are listed, then
	// in the order given here.
	Menu []web.MenuItem
	// Jobs adds the feature's job workers and schedules.
	Jobs func(reg *jobs.Registry)
	// Metrics are the feature's Prometheus collectors, served on /metrics.
	Metrics []prometheus.Collector
	// Run is work the feature keeps running while the process runs, in web
	// and worker mode alike (the services' connectors that hold a live
	// connection, such as Mumble's authenticator). It returns when ctx
	// ends.
	Run func(ctx context.Context)
	// Hooks are what the feature asks to be told or to decide about
	// other features' changes.
	Hooks Hooks
	// Setup are the feature's items of the superusers' setup checklist
	// (internal/setup): what a new site needs of it before members come.
	// They show in the order the features are listed.
	Setup []SetupStep
	// Cards give the feature's cards on a member's dashboard, in its
	// "services and apps" grid: one per thing the member may use, saying
	// how it stands for them (a service linked, not linked yet, in
	// trouble). A feature with Cards speaks for its Services and Apps
	// menu entries there: they get no plain card of their own, so a
	// member who may use none of its things sees none.
	Cards func(ctx context.Context, accountID int64) ([]Card, error)
	// Calendar gives the feature's events a member may see now (timers,
	// fleet operations), for their calendar feed (internal/apps/calendar).
	// The member is given as a page's viewer would be, read afresh for
	// every fetch of the feed, so that a right lost hides its events.
	Calendar func(ctx context.Context, v *web.Viewer) ([]Event, error)
}

// Event is one entry of a member's calendar feed.
type Event struct {
	// UID names the event for good, across fetches ("timer-12"): a
	// calendar updates the entry rather than adding another.
	UID string
	// Start and End are the event's times; End equal to Start is a
	// moment (a timer coming out).
	Start, End time.Time
	// Summary, Location and Description are shown as they are: data, in
	// English where they are composed (a feed has no reader's language).
	Summary, Location, Description string
	// Path is the event's page on the site.
	Path string
	// Updated is when the event last changed.
	Updated time.Time
}

// Card is one card of a member's dashboard.
type Card struct {
	// Title is shown as it is: data, not a message id (a service's name).
	Title string
	// Kind is "service" or "app": where in the grid the card shows, and
	// the word above its title.
	Kind string
	// Path is where the card leads: a path of the site.
	Path string
	// Status is the message id of how the thing stands for the member
	// ("services.card.linked"); Args are its arguments, key, value pairs.
	Status string
	Args   []any
	// Action, when set, is the message id of what the member does next
	// at Path ("Link your account"), shown as the card's button.
	Action string
	// Problem shows the card as a warning: something is wrong that the
	// member should see (a service account whose last change failed).
	Problem bool
}

// SetupStep is one item of the setup checklist. It ticks itself: Done reads
// the data, nobody marks it by hand.
type SetupStep struct {
	// ID names the item on the page (an HTML id, "eve-application"); each
	// is used once.
	ID string
	// Label is the message id of what to do; Help, when set, the message
	// id of how.
	Label string
	Help  string
	// Link is the page where it is done: a path of the site, or another
	// site's URL (EVE's developers site).
	Link string
	// Copy, when set, is text the admin copies elsewhere (the callback URL
	// to register with EVE), shown with a copy button; CopyLabel is the
	// message id naming it.
	Copy      string
	CopyLabel string
	// Done reports whether the item is done.
	Done func(ctx context.Context) (bool, error)
}

// Permission is a named right a feature declares (Alliance Auth's
// permissions): "groups.request", "services.discord.access"... Label is the
// message id of what it allows.
type Permission struct {
	Name  string
	Label string
}

// Hooks are called inside the transaction of the change they concern, so a
// hook that fails undoes the change. A nil hook is skipped.
type Hooks struct {
	// MergeAccounts moves what the feature keeps for loser onto winner
	// when two accounts merge, after the characters moved.
	MergeAccounts func(ctx context.Context, q store.Querier, winner, loser int64) error
	// AccountStatusChanged follows an account's deactivation or
	// reactivation (its groups are cleared, its services lost).
	AccountStatusChanged func(ctx context.Context, q store.Querier, accountID int64) error
	// CheckGroup may refuse a change of a group (ID 0 for a new group) by
	// returning an error wrapping groups.ErrInvalid.
	CheckGroup func(ctx context.Context, q store.Querier, change GroupChange) error
	// AccountsChanged follows every change of what accounts may have
	// outside Keepstar: their groups, state, deactivation, status and
	// permissions, and their main character (which one it is, its name,
	// corporation, alliance, their tickers). It is called in the
	// transaction of the change with every account concerned (perhaps
	// more: a follower must treat an account that did not change as a
	// no-op), so that what follows (a service's sync job) exists if and
	// only if the change does. why says what changed, for logs.
	AccountsChanged func(ctx context.Context, tx *store.Tx, accounts []int64, why string) error
}

// GroupChange is the part of a group's new definition other features may
// judge.
type GroupChange struct {
	ID          int64
	Name        string
	Description string
}

// Set is the features of one process, in the order they were added. It
// answers the hooks for the packages that call them, so those packages
// learn of features added after they were built.
type Set struct {
	list []Feature
}

// Add appends features; a name used twice is a programming error.
func (s *Set) Add(fs ...Feature) {
	for _, f := range fs {
		if f.Name == "" {
			panic("feature: a feature without a name")
		}
		for _, g := range s.list {
			if g.Name == f.Name {
				panic("feature: " + f.Name + " added twice")
			}
		}
		s.list = append(s.list, f)
	}
}

// All lists the features in order.
func (s *Set) All() []Feature { return append([]Feature(nil), s.list...) }

// MergeAccounts runs every feature's merge hook in order.
func (s *Set) MergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	for _, f := range s.list {
		if h := f.Hooks.MergeAccounts; h != nil {
			if err := h(ctx, q, winner, loser); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	return nil
}

// AccountStatusChanged runs every feature's status hook in order.
func (s *Set) AccountStatusChanged(ctx context.Context, q store.Querier, accountID int64) error {
	for _, f := range s.list {
		if h := f.Hooks.AccountStatusChanged; h != nil {
			if err := h(ctx, q, accountID); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	return nil
}

// CheckGroup asks every feature's group check; the first refusal wins.
// A refusal is returned as the feature gave it, since its message is
// shown to the admin as it is.
func (s *Set) CheckGroup(ctx context.Context, q store.Querier, change GroupChange) error {
	for _, f := range s.list {
		if h := f.Hooks.CheckGroup; h != nil {
			if err := h(ctx, q, change); err != nil {
				return err
			}
		}
	}
	return nil
}

// Cards gives every feature's dashboard cards for an account, in the
// order of the features. A feature whose cards cannot be read gives none:
// its error, named after it, is returned (joined with any other's) beside
// the other features' cards. The caller, the member's home page, shows
// what it has and logs the rest, rather than failing whole because one
// service's status cannot be read.
func (s *Set) Cards(ctx context.Context, accountID int64) ([]Card, error) {
	var out []Card
	var errs []error
	for _, f := range s.list {
		if f.Cards == nil {
			continue
		}
		cs, err := f.Cards(ctx, accountID)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		out = append(out, cs...)
	}
	return out, errors.Join(errs...)
}

// Calendar gives every feature's calendar events for a member, in the
// order of the features; the first feature that fails fails the whole
// feed, since a feed missing events silently would read as "nothing
// planned".
func (s *Set) Calendar(ctx context.Context, v *web.Viewer) ([]Event, error) {
	var out []Event
	for _, f := range s.list {
		if f.Calendar == nil {
			continue
		}
		es, err := f.Calendar(ctx, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// CardsFor reports whether the dashboard's cards of a feature stand for
// its Services or Apps menu entry at path (see Feature.Cards).
func (s *Set) CardsFor(path string) bool {
	for _, f := range s.list {
		if f.Cards == nil {
			continue
		}
		for _, m := range f.Menu {
			if m.Path == path && (m.Section == web.MenuServices || m.Section == web.MenuApps) {
				return true
			}
		}
	}
	return false
}

// AccountsChanged runs every feature's AccountsChanged hook in order.
// Nothing is called for no accounts.
func (s *Set) AccountsChanged(ctx context.Context, tx *store.Tx, accounts []int64, why string) error {
	if len(accounts) == 0 {
		return nil
	}
	for _, f := range s.list {
		if h := f.Hooks.AccountsChanged; h != nil {
			if err := h(ctx, tx, accounts, why); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	return nil
}
