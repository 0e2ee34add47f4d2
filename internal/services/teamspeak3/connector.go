package teamspeak3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/services"
)

// MaxNickname is the longest TeamSpeak nickname, in characters.
const MaxNickname = 30

// The keys of a TeamSpeak 3 instance's settings.
const (
	SettingHost          = "host"
	SettingQueryPort     = "query_port"
	SettingTransport     = "transport"
	SettingQueryUser     = "query_user"
	SettingQueryPassword = "query_password"
	SettingHostKey       = "host_key"
	SettingServerID      = "server_id"
	SettingVoicePort     = "voice_port"
	SettingPublicAddress = "public_address"
	SettingMemberGroup   = "member_group"
	SettingAllowlisted   = "allowlisted"
	SettingNickname      = "query_nickname"
	SettingAPIKey        = "api_key"
	SettingKeyDays       = "key_days"
)

// The transports, as the setting names them: ServerQuery over SSH or raw
// TCP, or WebQuery over HTTPS or HTTP.
const (
	TransportSSH   = "ssh"
	TransportRaw   = "raw"
	TransportHTTPS = "https"
	TransportHTTP  = "http"
)

// Defaults of the settings left empty.
const (
	DefaultSSHPort   = 10022
	DefaultRawPort   = 10011
	DefaultHTTPPort  = 10080
	DefaultHTTPSPort = 10443
	DefaultNickname  = "Keepstar"
	DefaultKeyDays   = 7
)

// The anti-flood rule of a TeamSpeak 3 server's defaults, which the
// limiter keeps unless the instance is allowlisted.
const (
	FloodCommands = 10
	FloodWindow   = 3 * time.Second
)

// CustomIdent is the custom field a privilege key writes on the client
// record that redeems it, holding the member's handle.
const CustomIdent = "keepstar_id"

// Type is the TeamSpeak 3 connector type: one instance per virtual server.
func Type() services.Type {
	hosts := &hostLimiters{byHost: map[string]*Limiter{}}
	return services.Type{
		Name:         "teamspeak3",
		Label:        "services.teamspeak3.label",
		Help:         "services.teamspeak3.help",
		Capabilities: services.Capabilities{Invite: true, Groups: true},
		Settings: []services.Setting{
			{Key: SettingHost, Label: "services.teamspeak3.setting.host", Help: "services.teamspeak3.setting.host_help",
				Required: true, Check: checkHost},
			{Key: SettingTransport, Label: "services.teamspeak3.setting.transport", Help: "services.teamspeak3.setting.transport_help",
				Check: checkTransport},
			{Key: SettingQueryPort, Label: "services.teamspeak3.setting.query_port", Help: "services.teamspeak3.setting.query_port_help",
				Check: checkPort},
			{Key: SettingHostKey, Label: "services.teamspeak3.setting.host_key", Help: "services.teamspeak3.setting.host_key_help",
				Check: checkFingerprint},
			{Key: SettingQueryUser, Label: "services.teamspeak3.setting.query_user", Help: "services.teamspeak3.setting.query_user_help",
				Check: checkWord},
			{Key: SettingQueryPassword, Label: "services.teamspeak3.setting.query_password",
				Help: "services.teamspeak3.setting.query_password_help", Secret: true},
			{Key: SettingAPIKey, Label: "services.teamspeak3.setting.api_key", Help: "services.teamspeak3.setting.api_key_help",
				Secret: true, Check: checkWord},
			{Key: SettingServerID, Label: "services.teamspeak3.setting.server_id", Help: "services.teamspeak3.setting.server_id_help",
				Check: checkPositive},
			{Key: SettingVoicePort, Label: "services.teamspeak3.setting.voice_port", Help: "services.teamspeak3.setting.voice_port_help",
				Check: checkPort},
			{Key: SettingPublicAddress, Label: "services.teamspeak3.setting.public_address",
				Help: "services.teamspeak3.setting.public_address_help", Check: checkHost},
			{Key: SettingMemberGroup, Label: "services.teamspeak3.setting.member_group",
				Help: "services.teamspeak3.setting.member_group_help", Required: true},
			{Key: SettingKeyDays, Label: "services.teamspeak3.setting.key_days", Help: "services.teamspeak3.setting.key_days_help",
				Check: checkPositive},
			{Key: SettingNickname, Label: "services.teamspeak3.setting.query_nickname",
				Help: "services.teamspeak3.setting.query_nickname_help", Check: checkNickname},
			{Key: SettingAllowlisted, Label: "services.teamspeak3.setting.allowlisted",
				Help: "services.teamspeak3.setting.allowlisted_help", Bool: true},
		},
		// Alliance Auth's default for TeamSpeak 3.
		DefaultNameFormat: "[{corp_ticker}]{character_name}",
		Sanitize:          Sanitize,
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			return Open(inst, env, Options{Limiter: hosts.limiter(inst.Settings[SettingHost])})
		},
		Locales: Locales,
	}
}

// Sanitize makes a name a TeamSpeak nickname: at most 30 characters
// (runes), without spaces at either end.
func Sanitize(name string) string {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxNickname {
		name = strings.TrimSpace(string([]rune(name)[:MaxNickname]))
	}
	return name
}

func checkHost(v string) error {
	if v == "" || strings.ContainsAny(v, " /?#@") || strings.Contains(v, "://") {
		return errors.New("give a host name or an IP address alone, without a scheme or a port")
	}
	return nil
}

func checkTransport(v string) error {
	switch v {
	case "", TransportSSH, TransportRaw, TransportHTTPS, TransportHTTP:
		return nil
	}
	return errors.New(`"ssh", "raw", "https" or "http"`)
}

func checkPort(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("a port is a number from 1 to 65535")
	}
	return nil
}

func checkPositive(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return errors.New("a whole number, 1 or more")
	}
	return nil
}

func checkWord(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("it has spaces or control characters")
	}
	return nil
}

func checkFingerprint(v string) error {
	if !strings.HasPrefix(v, "SHA256:") || len(v) < 20 || strings.ContainsAny(v, " \t") {
		return errors.New(`a SHA256 fingerprint as ssh-keygen -lf shows it: "SHA256:…"`)
	}
	return nil
}

func checkNickname(v string) error {
	if n := utf8.RuneCountInString(v); n < 3 || n > MaxNickname {
		return errors.New("a TeamSpeak nickname has 3 to 30 characters")
	}
	return nil
}

// Options are what tests set beyond an instance's settings.
type Options struct {
	// Now is the clock (keys' ages, the keepalive); nil: env.Now, else
	// time.Now.
	Now func() time.Time
	// Sleep is the limiter's wait (nil: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// Ticks drive the keepalive (nil: a ticker).
	Ticks <-chan time.Time
	// Keepalive is told each keepalive's outcome.
	Keepalive func(error)
	// Flood overrides the anti-flood rule kept (benchmarks scale it).
	FloodCommands int
	FloodWindow   time.Duration
	// Limiter is the one the host's sessions share (nil: one of its own).
	Limiter *Limiter
}

// hostLimiters are the limiters of one process's connectors, one per
// TeamSpeak host: the server's anti-flood rule counts per client address,
// so instances on virtual servers of one host share it, and a connector
// rebuilt after its settings changed goes on from its predecessor's count.
type hostLimiters struct {
	mu     sync.Mutex
	byHost map[string]*Limiter
}

func (h *hostLimiters) limiter(host string) *Limiter {
	host = strings.ToLower(strings.TrimSpace(host))
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.byHost[host]
	if !ok {
		l = NewLimiter(FloodCommands, FloodWindow, nil, nil)
		h.byHost[host] = l
	}
	return l
}

// Connector is a live TeamSpeak 3 instance: one ServerQuery session on
// one virtual server. It is shared by the instance's concurrent jobs,
// which the session serializes.
type Connector struct {
	q          querier
	sess       *Session // nil over WebQuery
	limiter    *Limiter
	hostKeys   *HostKeys
	transport  string
	instanceID int64
	slug       string
	public     string
	voicePort  int
	member     string
	keyTTL     time.Duration
	allowlist  bool
	box        *secrets.Box
	groups     *groupBook
	db         accountCounter
	logger     *slog.Logger
	now        func() time.Time
}

var (
	_ services.Connector   = (*Connector)(nil)
	_ services.Inviter     = (*Connector)(nil)
	_ services.Joiner      = (*Connector)(nil)
	_ services.Observer    = (*Connector)(nil)
	_ services.Checker     = (*Connector)(nil)
	_ services.GroupLister = (*Connector)(nil)
	_ io.Closer            = (*Connector)(nil)
)

// Open builds an instance's connector from its settings; it connects on
// first use.
func Open(inst services.Instance, env services.Env, o Options) (*Connector, error) {
	set := func(k string) string { return strings.TrimSpace(inst.Settings[k]) }
	host, user, pw := set(SettingHost), set(SettingQueryUser), inst.Settings[SettingQueryPassword]
	transport := set(SettingTransport)
	if transport == "" {
		transport = TransportSSH
	}
	webQuery := transport == TransportHTTP || transport == TransportHTTPS
	switch {
	case host == "" || set(SettingMemberGroup) == "":
		return nil, errors.New("teamspeak3: the instance needs its host and member group")
	case webQuery && set(SettingAPIKey) == "":
		return nil, errors.New("teamspeak3: WebQuery needs an API key")
	case !webQuery && (user == "" || pw == ""):
		return nil, errors.New("teamspeak3: ServerQuery needs its login and password")
	}
	box, err := secrets.New(env.SecretKey, "teamspeak3 keys")
	if err != nil {
		return nil, fmt.Errorf("teamspeak3: %w", err)
	}
	now := o.Now
	if now == nil {
		now = env.Now
	}
	if now == nil {
		now = time.Now
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("service", inst.Slug)
	port := map[string]int{TransportSSH: DefaultSSHPort, TransportRaw: DefaultRawPort, TransportHTTP: DefaultHTTPPort,
		TransportHTTPS: DefaultHTTPSPort}[transport]
	if p := set(SettingQueryPort); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("teamspeak3: query port: %w", err)
		}
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	k := &Connector{transport: transport, instanceID: inst.ID, slug: inst.Slug, public: set(SettingPublicAddress),
		member: set(SettingMemberGroup), keyTTL: DefaultKeyDays * 24 * time.Hour, allowlist: set(SettingAllowlisted) == "true",
		box: box, logger: logger, now: now}
	if env.DB != nil {
		k.db = dbCounter{env.DB}
	}
	if k.public == "" {
		k.public = host
	}
	if d := set(SettingKeyDays); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			return nil, fmt.Errorf("teamspeak3: key days: %w", err)
		}
		k.keyTTL = time.Duration(n) * 24 * time.Hour
	}
	so := SessionOptions{Nickname: set(SettingNickname), Now: now, Ticks: o.Ticks, Keepalive: o.Keepalive, Logger: logger}
	if so.Nickname == "" {
		so.Nickname = DefaultNickname
	}
	if v := set(SettingServerID); v != "" {
		if so.ServerID, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("teamspeak3: server id: %w", err)
		}
	}
	if v := set(SettingVoicePort); v != "" {
		if k.voicePort, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("teamspeak3: voice port: %w", err)
		}
		if so.ServerID == 0 {
			so.VoicePort = k.voicePort // no sid given: the port names the server
		}
	}
	switch transport {
	case TransportRaw:
		so.Dial, so.Login, so.Password = RawDialer(addr), user, pw
	case TransportSSH:
		k.hostKeys = &HostKeys{Pinned: set(SettingHostKey), Logger: logger}
		so.Dial = SSHDialer(addr, user, pw, k.hostKeys)
	}
	if !k.allowlist {
		k.limiter = o.Limiter
		if k.limiter == nil {
			n, w := FloodCommands, FloodWindow
			if o.FloodCommands > 0 {
				n, w = o.FloodCommands, o.FloodWindow
			}
			k.limiter = NewLimiter(n, w, now, o.Sleep)
		}
		so.Limiter = k.limiter
	}
	if webQuery {
		k.q = NewWebQuery(WebQueryOptions{BaseURL: transport + "://" + addr, ServerID: so.ServerID, VoicePort: so.VoicePort,
			APIKey: set(SettingAPIKey), HTTP: env.HTTP, Limiter: so.Limiter})
	} else {
		k.sess = NewSession(so)
		k.q = k.sess
	}
	k.groups = &groupBook{sess: k.q, now: now}
	return k, nil
}

// Close ends the instance's session.
func (k *Connector) Close() error { return k.q.Close() }

// Session is the connector's ServerQuery session (tests count its dials);
// nil over WebQuery.
func (k *Connector) Session() *Session { return k.sess }

// querier sends commands: a Session, or WebQuery.
type querier interface {
	Exec(ctx context.Context, c Command) ([]Item, error)
	Close() error
}

// JoinURL implements services.Joiner: the ts3server:// link that opens the
// TeamSpeak client on the server, with the member's nickname and, until it
// is redeemed, their privilege key.
func (k *Connector) JoinURL(acct services.Account) string {
	q := url.Values{}
	if k.voicePort != 0 {
		q.Set("port", strconv.Itoa(k.voicePort))
	}
	if acct.ExternalName != "" {
		q.Set("nickname", acct.ExternalName)
	}
	st, err := parseState(acct.State)
	if err == nil && st.CLDBID == 0 && st.Key != "" {
		if key, err := k.openKey(acct.ExternalID, st.Key); err == nil {
			q.Set("token", key)
		} else {
			k.logger.Warn("teamspeak3: a privilege key does not open", "handle", acct.ExternalID, "err", err)
		}
	}
	u := "ts3server://" + k.public
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// classify turns the session's errors into the framework's: the server out
// of reach, limiting or banning us is services.ErrUnavailable; what an
// admin must fix says so. The cause stays wrapped for errors.Is.
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var back *BackoffError
	switch {
	case errors.As(err, &back):
		return &services.RetryAfter{After: back.After, Err: err}
	case errors.Is(err, ErrFloodBan), errors.Is(err, ErrBanned):
		return &services.RetryAfter{After: banLeft(err), Err: fmt.Errorf("TeamSpeak banned Keepstar's address for flooding: "+
			"put it in the server's query_ip_allowlist.txt and turn the instance's allowlisted setting on, or leave it off "+
			"so that Keepstar keeps within the anti-flood rule: %w", err)}
	case errors.Is(err, ErrFlooding):
		return &services.RetryAfter{After: FloodWindow, Err: err}
	case errors.Is(err, ErrConnection), errors.Is(err, ErrClosed):
		if errors.Is(err, ErrHostKey) {
			return fmt.Errorf("the TeamSpeak server's SSH host key is not the one expected (a changed server, or someone in between): "+
				"check it and set the instance's host key fingerprint: %w", err)
		}
		return fmt.Errorf("%w: %w", services.ErrUnavailable, err)
	case errors.Is(err, ErrAPIKey):
		return fmt.Errorf("TeamSpeak's WebQuery refused the API key: make one with apikeyadd scope=manage and set it: %w", err)
	case errors.Is(err, ErrInvalidLogin):
		return fmt.Errorf("TeamSpeak refused the query login (520): check the query user and password: %w", err)
	case errors.Is(err, ErrInvalidServerID):
		return fmt.Errorf("TeamSpeak has no such virtual server (1024): check the server id or voice port: %w", err)
	case errors.Is(err, ErrPermissions):
		return fmt.Errorf("TeamSpeak refused for lack of permissions (2568): give the query account's group the permission named: %w", err)
	case ctx.Err() != nil:
		return err
	}
	return err
}

// banLeft reads how long a ban lasts from its extra_msg ("you may retry
// in 600 seconds"), ten minutes when it does not say.
func banLeft(err error) time.Duration {
	var qe *Error
	if errors.As(err, &qe) {
		var n int
		if _, serr := fmt.Sscanf(qe.Extra["extra_msg"], "you may retry in %d seconds", &n); serr == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 10 * time.Minute
}
