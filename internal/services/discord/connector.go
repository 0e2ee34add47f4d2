package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/version"
)

// DefaultAPIURL is Discord's origin; an instance's api_url replaces it (the
// demo and the tests point it at internal/discordsim).
const DefaultAPIURL = "https://discord.com"

// MaxNick is the longest nickname Discord takes, in characters.
const MaxNick = 32

// The keys of a Discord instance's settings.
const (
	SettingGuildID        = "guild_id"
	SettingClientID       = "client_id"
	SettingClientSecret   = "client_secret"
	SettingBotToken       = "bot_token"
	SettingAPIURL         = "api_url"
	SettingNoRoleCreation = "no_role_creation"
	SettingKeepNicknames  = "keep_nicknames"
	SettingPingChannel    = "ping_channel_id"
)

// Permissions the connector needs (Discord's permission flags): invite
// (joining a member with their token), kick, manage roles and nicknames.
// Administrator holds them all.
const (
	PermCreateInstantInvite uint64 = 1 << 0
	PermKickMembers         uint64 = 1 << 1
	PermAdministrator       uint64 = 1 << 3
	PermManageNicknames     uint64 = 1 << 27
	PermManageRoles         uint64 = 1 << 28
	// PermConnector is the least privilege the bot is invited with:
	// permissions=402653187 (discord.md §4), not Alliance Auth's
	// Administrator.
	PermConnector = PermCreateInstantInvite | PermKickMembers | PermManageNicknames | PermManageRoles
)

// Type is the Discord connector type: one instance per guild.
func Type() services.Type {
	bots := &memoryLimiters{byBot: map[string]*MemoryLimiter{}}
	return services.Type{
		Name:  "discord",
		Label: "services.discord.label",
		Help:  "services.discord.help",
		Capabilities: services.Capabilities{OAuthLink: true, Groups: true, Nickname: true,
			Bulk: true},
		Settings: []services.Setting{
			{Key: SettingGuildID, Label: "services.discord.setting.guild_id", Help: "services.discord.setting.guild_id_help",
				Required: true, Check: checkSnowflake},
			{Key: SettingClientID, Label: "services.discord.setting.client_id", Help: "services.discord.setting.client_id_help",
				Required: true, Check: checkSnowflake},
			{Key: SettingClientSecret, Label: "services.discord.setting.client_secret",
				Help: "services.discord.setting.client_secret_help", Secret: true, Required: true, Check: checkToken},
			{Key: SettingBotToken, Label: "services.discord.setting.bot_token", Help: "services.discord.setting.bot_token_help",
				Secret: true, Required: true, Check: checkBotToken},
			{Key: SettingAPIURL, Label: "services.discord.setting.api_url", Help: "services.discord.setting.api_url_help",
				Check: checkAPIURL},
			{Key: SettingNoRoleCreation, Label: "services.discord.setting.no_role_creation",
				Help: "services.discord.setting.no_role_creation_help", Bool: true},
			{Key: SettingKeepNicknames, Label: "services.discord.setting.keep_nicknames",
				Help: "services.discord.setting.keep_nicknames_help", Bool: true},
			{Key: SettingPingChannel, Label: "services.discord.setting.ping_channel_id",
				Help: "services.discord.setting.ping_channel_id_help", Check: checkSnowflake},
		},
		// Alliance Auth's default for Discord.
		DefaultNameFormat: "{character_name}",
		Sanitize:          Sanitize,
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			return open(inst, env, Options{Limiter: bots.limiter(inst, env)})
		},
		Locales: Locales,
	}
}

// Sanitize makes a name a Discord nickname: at most 32 characters (runes,
// not bytes), without spaces at either end.
func Sanitize(name string) string {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxNick {
		name = strings.TrimSpace(string([]rune(name)[:MaxNick]))
	}
	return name
}

func checkSnowflake(v string) error {
	if !isSnowflake(v) {
		return errors.New("an id of Discord is a number, digits only (Developer Mode, then Copy ID)")
	}
	return nil
}

func checkToken(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("it has spaces or control characters: paste it alone")
	}
	return nil
}

func checkBotToken(v string) error {
	if strings.HasPrefix(v, "Bot ") || strings.HasPrefix(v, "Bearer ") {
		return errors.New(`give the token alone, without "Bot "`)
	}
	return checkToken(v)
}

func checkAPIURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("give the origin only, as https://discord.com (without /api)")
	}
	return nil
}

// connector is a live Discord instance: a guild, a bot and an OAuth2
// application. It is shared by the instance's concurrent jobs.
type connector struct {
	c         *Client
	slug      string
	guild     string
	apiURL    string
	clientID  string
	keepNicks bool
	// pingChannel is the channel group pings are posted in ("": none).
	pingChannel string
	roles       *roleBook
	logger      *slog.Logger
	now         func() time.Time

	mu sync.Mutex
	// noIntentUntil: listing members was refused (the GUILD_MEMBERS intent
	// is off); Observe reads members one at a time until then.
	noIntentUntil time.Time
}

var (
	_ services.Connector   = (*connector)(nil)
	_ services.Linker      = (*connector)(nil)
	_ services.Observer    = (*connector)(nil)
	_ services.Checker     = (*connector)(nil)
	_ services.GroupLister = (*connector)(nil)
	_ services.AdminLinker = (*connector)(nil)
)

// newLimiter gives the Limiter of an instance's client. The in-memory one
// keeps real time rather than env.Now: Discord's limits run on its clock,
// and a site clock held still (tests) would hold a wait forever.
func newLimiter(inst services.Instance, env services.Env) Limiter {
	if env.Shared && env.DB != nil {
		// Discord counts per bot: instances sharing a bot share its
		// limits, whichever process sends.
		return NewDBLimiter(env.DB, strings.TrimSpace(inst.Settings[SettingClientID]), DBLimiterOptions{})
	}
	return NewMemoryLimiter(nil, nil, 0)
}

// memoryLimiters are the MemoryLimiters of one process's connectors, one
// per bot (named by its application's client id). Discord counts the
// global limit per bot: each connector with a limiter of its own let the
// instances of one bot on SQLite send more than 50 requests in a second
// between them (six guilds syncing at once drew global 429s), and a
// connector rebuilt after its instance's settings changed forgot the
// buckets and holds its predecessor had learnt. The DBLimiter needs none
// of this: its state is the database's.
type memoryLimiters struct {
	mu    sync.Mutex
	byBot map[string]*MemoryLimiter
}

// limiter gives the limiter an instance's connector uses: nil when the
// limits are kept in the database (newLimiter then makes the DBLimiter).
func (m *memoryLimiters) limiter(inst services.Instance, env services.Env) Limiter {
	if env.Shared && env.DB != nil {
		return nil
	}
	bot := strings.TrimSpace(inst.Settings[SettingClientID])
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.byBot[bot]
	if !ok {
		l = NewMemoryLimiter(nil, nil, 0)
		m.byBot[bot] = l
	}
	return l
}

// open builds an instance's connector; o carries what tests set (the
// clock, the limiter), the instance's settings fill the rest.
func open(inst services.Instance, env services.Env, o Options) (*connector, error) {
	set := inst.Settings
	guild, token := strings.TrimSpace(set[SettingGuildID]), strings.TrimSpace(set[SettingBotToken])
	if !isSnowflake(guild) || token == "" {
		return nil, errors.New("discord: the instance needs its guild id and bot token")
	}
	apiURL := strings.TrimRight(strings.TrimSpace(set[SettingAPIURL]), "/")
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if err := checkAPIURL(apiURL); err != nil {
		return nil, fmt.Errorf("discord: api_url: %w", err)
	}
	o.BaseURL, o.BotToken = apiURL, token
	o.ClientID, o.ClientSecret = strings.TrimSpace(set[SettingClientID]), strings.TrimSpace(set[SettingClientSecret])
	o.AppURL, o.Version = env.BaseURL, version.String()
	if o.AppURL == "" {
		o.AppURL = "https://keepstar.invalid"
	}
	o.HTTP = env.HTTP
	if o.Limiter == nil {
		o.Limiter = newLimiter(inst, env)
	}
	metrics, slug := env.Metrics, inst.Slug
	o.Waited = func(d time.Duration) { metrics.Waited(slug, d) }
	c := New(o)
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	k := &connector{c: c, slug: inst.Slug, guild: guild, apiURL: apiURL, clientID: o.ClientID,
		keepNicks: set[SettingKeepNicknames] == "true", pingChannel: strings.TrimSpace(set[SettingPingChannel]), logger: logger, now: c.o.Now}
	k.roles = &roleBook{c: c, guild: guild, now: c.o.Now, noCreate: set[SettingNoRoleCreation] == "true"}
	return k, nil
}

// maxJobWait is the longest a sync waits for a rate limit: a longer one
// gives the worker back, and the job comes back when the limit frees.
const maxJobWait = 30 * time.Second

// maxAuditReason is the longest X-Audit-Log-Reason Discord keeps.
const maxAuditReason = 512

// errRoleSetup is a role the instance cannot give as it is set up (a
// managed role mapped, a missing one with creation off): its admins must
// change something.
var errRoleSetup = errors.New("Discord role")

// withReason sets the reason Discord's audit log shows for the changes
// made with ctx, and bounds the waits for rate limits.
func withReason(ctx context.Context, reason string) context.Context {
	r := "Keepstar"
	if reason != "" {
		r += ": " + reason
	}
	if utf8.RuneCountInString(r) > maxAuditReason {
		r = string([]rune(r)[:maxAuditReason])
	}
	return WithMaxWait(WithReason(ctx, r), maxJobWait)
}

// Apply implements services.Connector: one PATCH of the member with
// whatever differs (the full role list, the nickname), nothing when nothing
// does. The member's current roles are the account's State, so no read is
// needed.
func (k *connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	ctx = withReason(ctx, want.Reason)
	next, err := k.apply(ctx, acct, want, nil)
	if errors.Is(err, ErrUnknownRole) || errors.Is(err, ErrInvalidRole) {
		// A role was deleted on Discord since the list was read: read it
		// again and try once more (a wanted role is made again).
		var list *roleList
		if list, err = k.roles.refresh(ctx, nil); err == nil {
			next, err = k.apply(ctx, acct, want, list)
		}
	}
	return next, classify(ctx, err)
}

func (k *connector) apply(ctx context.Context, acct services.Account, want services.Want, list *roleList) (services.Account, error) {
	var err error
	if list == nil {
		if list, err = k.roles.current(ctx, rolesMaxAge); err != nil {
			return acct, err
		}
	}
	current, known := parseState(acct.State)
	nick := acct.Name
	if !known {
		m, err := k.c.Member(ctx, k.guild, acct.ExternalID)
		if err != nil {
			return acct, err
		}
		current, nick = m.Roles, m.Nick
	}
	wanted, list, err := k.roles.resolve(ctx, list, want.Groups)
	if err != nil {
		return acct, err
	}
	if list.unknown(current) {
		// A role of the member's is not in the list: made on Discord since
		// it was read, or deleted (and gone from the member too).
		if list, err = k.roles.refresh(ctx, list); err != nil {
			return acct, err
		}
	}
	roles := k.merge(list, wanted, current, want.Keep)
	var setRoles []string
	if !slices.Equal(roles, normal(current)) {
		setRoles = roles
	}
	setNick := k.nick(list, acct.ExternalID, nick, want.Name)
	next := acct
	if setRoles == nil && setNick == nil {
		next.State = formatState(current)
		return next, nil
	}
	m, err := k.c.UpdateMember(ctx, k.guild, acct.ExternalID, setRoles, setNick)
	if err != nil {
		return acct, err
	}
	next.State = formatState(m.Roles)
	if m.User.ID != "" {
		next.ExternalName = displayName(m.User)
	}
	return next, nil
}

// merge gives a member's full role list: the wanted roles, and those of
// the current ones Keepstar leaves alone (Discord's managed roles, the
// groups want keeps). A current role the list does not know was deleted
// on Discord, and is dropped.
func (k *connector) merge(list *roleList, wanted, current []string, keep func(string) bool) []string {
	out := slices.Clone(wanted)
	for _, id := range current {
		r, ok := list.byID[id]
		switch {
		case !ok || id == k.guild:
		case !list.assignable(r, k.guild), keep != nil && keep(r.Name):
			out = append(out, id)
		}
	}
	return normal(out)
}

// nick gives the nickname to set, nil when it stays: when the instance
// leaves nicknames alone, when it is already so, and for the guild's owner,
// whose nickname no bot may change.
func (k *connector) nick(list *roleList, user, current, want string) *string {
	if k.keepNicks || current == want || user == list.owner {
		return nil
	}
	return &want
}

// normal gives ids sorted, each once, never nil (an empty list removes
// every role).
func normal(ids []string) []string {
	out := slices.Clone(ids)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Remove implements services.Connector: the member is kicked; one already
// gone is no error.
func (k *connector) Remove(ctx context.Context, acct services.Account) error {
	ctx = withReason(ctx, "access removed")
	err := k.c.RemoveMember(ctx, k.guild, acct.ExternalID)
	if errors.Is(err, ErrUnknownMember) {
		return nil
	}
	return classify(ctx, err)
}

// classify turns the client's errors into the framework's: a member gone
// is services.ErrGone, a limit or an outage services.ErrUnavailable (a
// RetryAfter when Discord said when), and what an admin must fix says so.
// The client's error stays wrapped, so errors.Is matches its sentinels too.
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var wait *WaitError
	var api *APIError
	var netErr net.Error
	var urlErr *url.Error
	switch {
	case errors.Is(err, ErrUnknownMember), errors.Is(err, ErrUnknownUser):
		return fmt.Errorf("%w: %w", services.ErrGone, err)
	case errors.As(err, &wait):
		return &services.RetryAfter{After: wait.After, Err: err}
	case errors.Is(err, ErrRateLimited) && errors.As(err, &api):
		return &services.RetryAfter{After: max(api.RetryAfter, time.Second), Err: err}
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrBreakerOpen):
		return fmt.Errorf("%w: %w", services.ErrUnavailable, err)
	case errors.Is(err, ErrMissingPermissions):
		return fmt.Errorf("Discord refused: missing permissions (50013): the bot needs Manage Roles, Manage Nicknames and Kick Members, "+
			"and its highest role must sit above the roles it manages and above the member's highest role: %w", err)
	case errors.Is(err, ErrInvalidFormBody) && errors.As(err, &api):
		return fmt.Errorf("Discord refused the request as invalid (50035): %s: %w", api.Errors, err)
	case errors.Is(err, ErrMaxRoles):
		return fmt.Errorf("Discord refused: the server has the most roles it may have, 250 (30005): delete unused roles or map fewer groups: %w", err)
	case errors.Is(err, ErrMissingAccess):
		return fmt.Errorf("Discord refused: missing access (50001): the bot is not in the server; add it with the link on the service's page: %w", err)
	case errors.Is(err, ErrUnknownGuild):
		return fmt.Errorf("Discord knows no such server (10004): check the server id: %w", err)
	case errors.Is(err, ErrUnauthorized):
		return fmt.Errorf("Discord refused the bot token (401): check the bot token: %w", err)
	case ctx.Err() != nil:
		return err
	case errors.As(err, &urlErr), errors.As(err, &netErr):
		// Discord could not be reached, or did not answer in time.
		return fmt.Errorf("%w: %w", services.ErrUnavailable, err)
	}
	return err
}

// displayName is how a Discord user is named on Keepstar's pages: the
// user name (with its discriminator for accounts not yet moved to unique
// names), and the display name when it differs.
func displayName(u User) string {
	name := u.Username
	if d := u.Discriminator; d != "" && d != "0" {
		name += "#" + d
	}
	if u.GlobalName != "" && u.GlobalName != u.Username {
		name += " (" + u.GlobalName + ")"
	}
	return name
}
