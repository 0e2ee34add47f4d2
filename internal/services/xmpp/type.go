package xmpp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/services"
)

// TypeName is the connector type's name, stored with its instances.
const TypeName = "xmpp"

// The settings of an XMPP instance.
const (
	// SettingBackend is the server's kind: BackendEjabberd or
	// BackendOpenfire.
	SettingBackend = "backend"
	// SettingAPIURL is the admin API's address: ejabberd's mod_http_api
	// (http://host:5280/api), or Openfire's admin console
	// (http://host:9090), under which the REST API plugin answers.
	SettingAPIURL = "api_url"
	// SettingAPIUser is an admin's JID (ejabberd) or user name (Openfire)
	// for HTTP Basic; empty for ejabberd's access by address (or an
	// OAuth token in the secret) and Openfire's secret key.
	SettingAPIUser = "api_user"
	// SettingAPISecret is the admin's password, ejabberd's OAuth token
	// or Openfire's REST API secret key.
	SettingAPISecret = "api_secret"
	// SettingDomain is the XMPP domain the accounts are made on.
	SettingDomain = "domain"
	// SettingSender is the JID pings come from (empty: the domain).
	SettingSender = "sender"
)

// The backends.
const (
	BackendEjabberd = "ejabberd"
	BackendOpenfire = "openfire"
)

// callTimeout bounds one request to the server's API.
const callTimeout = 10 * time.Second

// Type is the XMPP connector type.
func Type() services.Type {
	return services.Type{
		Name:         TypeName,
		Label:        "services.xmpp.label",
		Help:         "services.xmpp.help",
		Capabilities: services.Capabilities{Password: true, Groups: true},
		Settings: []services.Setting{
			{Key: SettingBackend, Label: "services.xmpp.setting.backend", Help: "services.xmpp.setting.backend_help",
				Required: true, Check: checkBackend},
			{Key: SettingAPIURL, Label: "services.xmpp.setting.api_url", Help: "services.xmpp.setting.api_url_help",
				Required: true, Check: checkURL},
			{Key: SettingAPIUser, Label: "services.xmpp.setting.api_user", Help: "services.xmpp.setting.api_user_help",
				Check: checkWord},
			{Key: SettingAPISecret, Label: "services.xmpp.setting.api_secret", Help: "services.xmpp.setting.api_secret_help",
				Secret: true, Check: checkSecret},
			{Key: SettingDomain, Label: "services.xmpp.setting.domain", Help: "services.xmpp.setting.domain_help",
				Required: true, Check: checkDomain},
			{Key: SettingSender, Label: "services.xmpp.setting.sender", Help: "services.xmpp.setting.sender_help",
				Check: checkJID},
		},
		// Alliance Auth's default for Openfire.
		DefaultNameFormat: "{character_name}",
		Sanitize:          Sanitize,
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			return Open(inst, env)
		},
		Locales:       Locales,
		MergeAccounts: mergeOwners,
	}
}

func checkBackend(v string) error {
	switch v {
	case BackendEjabberd, BackendOpenfire:
		return nil
	}
	return errors.New(`either "ejabberd" or "openfire"`)
}

func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("an http:// or https:// address, such as http://127.0.0.1:5280/api")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("the address alone: no user, password or query in it (the credentials have their own settings)")
	}
	return nil
}

func checkWord(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("it has spaces or control characters")
	}
	return nil
}

func checkSecret(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("it has control characters: paste the value alone")
	}
	return nil
}

func checkDomain(v string) error {
	if v == "" || strings.ContainsAny(v, "@/:\\") || checkWord(v) != nil || strings.ToLower(v) != v {
		return errors.New("the XMPP domain alone, in lower case, such as chat.example.org (no user, port or scheme)")
	}
	return nil
}

func checkJID(v string) error {
	local, domain, ok := strings.Cut(v, "@")
	if !ok {
		domain, local = local, ""
	}
	if checkWord(v) != nil || checkDomain(strings.ToLower(domain)) != nil || strings.Contains(local, "/") {
		return errors.New("a bare JID, such as pings@chat.example.org, or a domain")
	}
	return nil
}

// settings are an instance's settings, read.
type settings struct {
	backend, apiURL, apiUser, secret, domain, sender string
}

func readSettings(set map[string]string) (settings, error) {
	s := settings{backend: strings.TrimSpace(set[SettingBackend]), apiURL: strings.TrimRight(strings.TrimSpace(set[SettingAPIURL]), "/"),
		apiUser: strings.TrimSpace(set[SettingAPIUser]), secret: set[SettingAPISecret], domain: strings.TrimSpace(set[SettingDomain]),
		sender: strings.TrimSpace(set[SettingSender])}
	var problems []error
	for key, check := range map[string]func(string) error{SettingBackend: checkBackend, SettingAPIURL: checkURL, SettingDomain: checkDomain} {
		if err := check(strings.TrimSpace(set[key])); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", key, err))
		}
	}
	if s.backend == BackendOpenfire && s.secret == "" {
		problems = append(problems, fmt.Errorf("%s: Openfire's REST API needs its secret key (or an admin's password)", SettingAPISecret))
	}
	if s.sender == "" {
		s.sender = s.domain
	} else if err := checkJID(s.sender); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", SettingSender, err))
	}
	return s, errors.Join(problems...)
}

// httpClient is env's, or one with timeouts and enough idle connections
// for the pings' workers.
func httpClient(env services.Env) *http.Client {
	if env.HTTP != nil {
		return env.HTTP
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = pingWorkers
	return &http.Client{Timeout: callTimeout, Transport: t}
}
