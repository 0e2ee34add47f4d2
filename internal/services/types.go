package services

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Capabilities say what a connector type can do; the pages and the
// reconciler offer only what it has.
type Capabilities struct {
	// OAuthLink: the member links an account they have on the service
	// through its OAuth2 (Discord). The type implements Linker.
	OAuthLink bool
	// Password: Keepstar makes the account and sets its password, shown
	// once; the member may reset it or set their own (Mumble, phpBB). The
	// type implements PasswordManager.
	Password bool
	// SSOProvider: the account is made on the service's first login, with
	// Keepstar as its SSO provider (Discourse). The type implements
	// SSOProvider.
	SSOProvider bool
	// Groups: the service has groups (roles) Keepstar's groups map to.
	Groups bool
	// Nickname: the service shows the formatted name and it can change
	// after the account is made.
	Nickname bool
	// Bulk: the service reads every account back in a few requests, so
	// verification costs little (Discord's member list).
	Bulk bool
	// Invite: Keepstar makes an invitation the member redeems on the
	// service (TeamSpeak's privilege key); the account there exists once
	// it is redeemed, and Apply finds it. The type implements Inviter.
	Invite bool
}

// Setting is one setting of a connector type, set per instance.
type Setting struct {
	// Key names it in the instance's settings ("guild_id").
	Key string
	// Label and Help are message ids.
	Label, Help string
	// Secret settings are sealed at rest, never shown again, and kept when
	// the form leaves them empty.
	Secret bool
	// Required settings must be set before the instance is enabled.
	Required bool
	// Bool settings are a checkbox: "true" or "".
	Bool bool
	// Check refuses a value (nil: any). Its error is shown as it is.
	Check func(value string) error
}

// Type is a kind of service Keepstar connects to.
type Type struct {
	// Name is the type's technical name ("discord"), stored with each
	// instance: never change it.
	Name string
	// Label is the message id of its name; Help of what it is.
	Label, Help  string
	Capabilities Capabilities
	Settings     []Setting
	// DefaultNameFormat is the name format of instances that set none
	// (Alliance Auth's per service: Discord "{character_name}").
	DefaultNameFormat string
	// Sanitize makes a formatted name fit the service: its characters and
	// its length (Discord: at most 32 characters). nil keeps it.
	Sanitize func(name string) string
	// Open builds the live connector of an instance. It is called again
	// when the instance's settings change.
	Open func(ctx context.Context, inst Instance, env Env) (Connector, error)
	// Locales are the type's messages (its settings, its problems),
	// locales/<lang>.toml, loaded with the services feature's.
	Locales fs.FS
	// MergeAccounts moves what the type keeps for an account in its own
	// tables (the XMPP connector's record of whose each login name is)
	// from loser to winner, in the merge's transaction. nil: nothing.
	MergeAccounts func(ctx context.Context, q store.Querier, winner, loser int64) error
}

// Env is what a connector gets from Keepstar to work with.
type Env struct {
	DB     *store.DB
	Logger *slog.Logger
	// HTTP is the client for the service's API (tests give one with a
	// short timeout); nil means a default with timeouts.
	HTTP *http.Client
	// Shared is true when several Keepstar processes share the database
	// (PostgreSQL): limits must then be kept in the database.
	Shared bool
	Now    func() time.Time
	// BaseURL is Keepstar's own address, for the callbacks the service
	// calls back (OAuth2 redirect URIs).
	BaseURL string
	// Metrics take the connector's rate-limit waits (Metrics.Waited).
	Metrics *Metrics
	// SecretKey is KEEPSTAR_SECRET_KEY, for the connector's own sealed
	// values and keyed hashes (secrets.New, secrets.NewMAC with a purpose
	// of its own).
	SecretKey []byte
}

// Connector is the live connection to one instance's service.
type Connector interface {
	// Apply makes the account on the service carry want. acct is what was
	// applied last, with the connector's own State; Apply returns what
	// applies now. An account that no longer exists there is ErrGone.
	Apply(ctx context.Context, acct Account, want Want) (Account, error)
	// Remove takes the account's access away on the service (kick,
	// disable). An account already gone is no error.
	Remove(ctx context.Context, acct Account) error
}

// Linker is a connector whose members link an account they own on the
// service through OAuth2 (Capabilities.OAuthLink).
type Linker interface {
	// AuthorizeURL is where the member's browser goes to consent, with
	// state (bound to their session) and Keepstar's callback.
	AuthorizeURL(state, callback string) string
	// Link exchanges the code the callback got and gives the member the
	// service with want (Discord: joins the guild with roles and
	// nickname). The Account returned has the external id and name.
	Link(ctx context.Context, code, callback string, want Want) (Account, error)
}

// PasswordManager is a connector where Keepstar makes the account and its
// password (Capabilities.Password).
type PasswordManager interface {
	// Create makes the account with want and password.
	Create(ctx context.Context, want Want, password string) (Account, error)
	// SetPassword changes the account's password.
	SetPassword(ctx context.Context, acct Account, password string) error
}

// SSOProvider is a connector for which Keepstar is the service's single
// sign-on provider (Capabilities.SSOProvider): the service sends the
// member's browser to /services/<slug>/sso with its signed request, and
// Keepstar sends it back with a signed answer that signs them in there.
type SSOProvider interface {
	// SSOAnswer checks the service's request (the query it sent) and gives
	// where the browser goes next: back to the service, with the answer
	// for want. acct is the member's service account there, the zero
	// Account when they have none yet. The Account returned is recorded
	// as the member's: its ExternalID is the connector's lasting handle
	// on them (unique on the instance), kept from acct when acct has one.
	// A request the connector refuses is an *i18n.InvalidError (shown
	// with 400).
	SSOAnswer(ctx context.Context, query url.Values, want Want, acct Account) (string, Account, error)
}

// Inviter is a connector whose members join with an invitation Keepstar
// makes (Capabilities.Invite).
type Inviter interface {
	// Invite makes an invitation for want. The Account returned is
	// recorded as the member's service account: its ExternalID is the
	// connector's lasting handle on the member there (unique on the
	// instance), its State what the connector needs to find the redeemed
	// account and to show the invitation again (sealed where secret).
	Invite(ctx context.Context, want Want) (Account, error)
}

// Joiner is a connector with a link that takes a member to the service
// (mumble://, ts3server:// with the invitation), shown on the Services page.
type Joiner interface {
	// JoinURL gives the link for a service account; "" for none.
	JoinURL(acct Account) string
}

// Runner is a connector with work that runs as long as its instance is
// enabled (Mumble's authenticator). The framework runs it in one process
// at a time, holding a lease in the database, and cancels ctx when the
// instance's settings change, it is disabled or deleted, the lease is lost
// or the process stops. Run returns when ctx ends; an error before that is
// logged and Run is called again after a pause.
type Runner interface {
	Run(ctx context.Context) error
}

// Observer is a connector that reads accounts back from the service, for
// the verification that repairs drift.
type Observer interface {
	// Observe gives what the service has for each account, in order: its
	// name, its groups (those Keepstar may manage), its connector state,
	// or Gone when it no longer exists there.
	Observe(ctx context.Context, accts []Account) ([]Observation, error)
}

// Checker is a connector that can tell administrators what is wrong with
// its instance's setup (Discord: the bot's role below a managed role).
type Checker interface {
	Check(ctx context.Context, managed []string) ([]Problem, error)
}

// GroupLister is a connector that lists the service's groups, for the
// mapping page.
type GroupLister interface {
	Groups(ctx context.Context) ([]string, error)
}

// AdminLinker is a connector with links for administrators (Discord:
// "add the bot to your server").
type AdminLinker interface {
	AdminLinks() []AdminLink
}

// AdminLink is one link on an instance's admin page.
type AdminLink struct {
	Label string // message id
	URL   string
}

// Problem is something wrong with an instance's setup, for its admins.
type Problem struct {
	// Message is a message id; Args its arguments.
	Message string
	Args    map[string]any
}

// Observation is what the service has for one account.
type Observation struct {
	Gone   bool
	Name   string
	Groups []string
	State  string
}

// Want is what an account should have on a service.
type Want struct {
	// Name is the formatted, sanitised name.
	Name string
	// Groups are the service's groups, sorted.
	Groups []string
	// Keep reports the service's groups Keepstar leaves as they are on an
	// account: reserved names, the instance's unmanaged groups and, when
	// groups map only explicitly, every group no mapping names.
	Keep func(group string) bool
	// Reason says why the change is made, for the service's own audit log
	// (Discord's X-Audit-Log-Reason).
	Reason string
	// AccountID is the Keepstar account the want is for, and Identity its
	// main character's names: a connector that makes accounts names them
	// from these (Mumble's login name, as Alliance Auth's, is the main's
	// name). They change when accounts merge or the main changes.
	AccountID int64
	Identity  Identity
}

// Account is a service account: what was applied for one account on one
// instance.
type Account struct {
	InstanceID   int64
	AccountID    int64
	ExternalID   string
	ExternalName string
	Name         string
	Groups       []string
	// State is the connector's own record (Discord: the member's role ids
	// as last seen), kept between syncs.
	State     string
	Status    string // StatusOK or StatusError
	LastError string
	LastSync  time.Time
	CreatedAt time.Time
	wanted    int64
	reason    string // the first change since the last sync
	failures  int    // syncs failed in a row
}

// The statuses of a service account.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// Errors a connector returns for the reconciler to act on.
var (
	// ErrGone: the account no longer exists on the service (Discord's
	// unknown member, 10007): the link is removed.
	ErrGone = errors.New("services: the account is gone from the service")
	// ErrUnavailable: the service cannot be reached or is limiting us; the
	// work waits and is done when it returns.
	ErrUnavailable = errors.New("services: the service is unavailable")
	// ErrTaken: the external account is linked to another account here.
	ErrTaken = errors.New("services: that account is linked to another member")
)

// RetryAfter is an ErrUnavailable that says when to try again.
type RetryAfter struct {
	After time.Duration
	Err   error
}

func (e *RetryAfter) Error() string { return e.Err.Error() }
func (e *RetryAfter) Unwrap() []error {
	return []error{ErrUnavailable, e.Err}
}
