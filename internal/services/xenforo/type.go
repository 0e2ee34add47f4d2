package xenforo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/services"
)

// TypeName is the connector type's name, stored with its instances.
const TypeName = "xenforo"

// The settings of a XenForo instance.
const (
	// SettingEndpoint is XenAPI's api.php on the forum.
	SettingEndpoint = "endpoint"
	// SettingAPIKey is api.php's key.
	SettingAPIKey = "api_key"
	// SettingMemberGroup is the group (id or title) every member Keepstar
	// lets in has: Alliance Auth's XENFORO_DEFAULT_GROUP.
	SettingMemberGroup = "member_group"
	// SettingEmailDomain is the domain of the placeholder addresses.
	SettingEmailDomain = "email_domain"
)

// XenForo's default username rules: 3 to 25 characters, no comma, no
// control characters, nothing that looks like an email address.
const (
	minUsername = 3
	maxUsername = 25
)

// Type is the XenForo connector type.
func Type() services.Type {
	return services.Type{
		Name:         TypeName,
		Label:        "services.xenforo.label",
		Help:         "services.xenforo.help",
		Capabilities: services.Capabilities{Password: true, Groups: true},
		Settings: []services.Setting{
			{Key: SettingEndpoint, Label: "services.xenforo.setting.endpoint", Help: "services.xenforo.setting.endpoint_help",
				Required: true, Check: checkEndpoint},
			{Key: SettingAPIKey, Label: "services.xenforo.setting.api_key", Help: "services.xenforo.setting.api_key_help",
				Secret: true, Required: true, Check: checkKey},
			{Key: SettingMemberGroup, Label: "services.xenforo.setting.member_group",
				Help: "services.xenforo.setting.member_group_help", Required: true, Check: checkGroup},
			{Key: SettingEmailDomain, Label: "services.xenforo.setting.email_domain",
				Help: "services.xenforo.setting.email_domain_help", Required: true, Check: checkDomain},
		},
		// Alliance Auth's default for XenForo.
		DefaultNameFormat: "{character_name}",
		Sanitize:          Sanitize,
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			return open(inst, env)
		},
		Locales: Locales,
	}
}

type settings struct {
	endpoint    *url.URL
	key         string
	memberGroup string
	emailDomain string
}

func readSettings(set map[string]string) (settings, error) {
	s := settings{key: strings.TrimSpace(set[SettingAPIKey]), memberGroup: strings.TrimSpace(set[SettingMemberGroup]),
		emailDomain: strings.ToLower(strings.TrimSpace(set[SettingEmailDomain]))}
	var problems []error
	raw := strings.TrimSpace(set[SettingEndpoint])
	if err := checkEndpoint(raw); err != nil || raw == "" {
		problems = append(problems, fmt.Errorf("%s: the address of the forum's api.php is needed", SettingEndpoint))
	} else {
		s.endpoint, _ = url.Parse(raw) // checked just above
	}
	if err := checkKey(s.key); err != nil || s.key == "" {
		problems = append(problems, fmt.Errorf("%s: api.php's key is needed", SettingAPIKey))
	}
	if err := checkGroup(s.memberGroup); err != nil || s.memberGroup == "" {
		problems = append(problems, fmt.Errorf("%s: the forum's member group is needed", SettingMemberGroup))
	}
	if err := checkDomain(s.emailDomain); err != nil || s.emailDomain == "" {
		problems = append(problems, fmt.Errorf("%s: a domain for the members' placeholder addresses is needed", SettingEmailDomain))
	}
	return s, errors.Join(problems...)
}

// checkEndpoint takes https, and http only to this machine (a test, a
// proxy beside Keepstar): the key and passwords must not cross a network
// in clear text.
func checkEndpoint(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(u.Path, ".php") {
		return errors.New("the address of api.php, such as https://forum.example.org/api.php")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return errors.New("https only: the API key and members' passwords travel in each request")
}

func checkKey(v string) error {
	switch {
	case v == "API_KEY":
		return errors.New("this is XenAPI's example key: set a random one in api.php")
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New("the key has spaces or control characters: paste it alone")
	}
	return nil
}

func checkGroup(v string) error {
	if strings.Contains(v, ",") {
		return errors.New("one group: its number or its title")
	}
	return nil
}

var domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

func checkDomain(v string) error {
	if v != "" && (!domainRE.MatchString(strings.ToLower(v)) || len(v) > 200) {
		return errors.New("a domain name such as users.forum.example.org, without @")
	}
	return nil
}

// Sanitize makes a formatted name a XenForo username: no control
// characters or commas (XenForo refuses them), spaces made single and
// trimmed, an "@" made "_" (XenForo refuses a name that looks like an
// address), at most 25 characters. Letters of every script and
// apostrophes are XenForo's too, and kept.
func Sanitize(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r) || r == ',':
			return -1
		case r == '@':
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > maxUsername {
		name = strings.TrimSpace(string([]rune(name)[:maxUsername]))
	}
	return name
}

// Username gives the username of a want's name: the sanitised name, with
// the account's number when it is too short (or when the name is
// another's, suffix).
func Username(name string, accountID int64, suffix bool) string {
	u := Sanitize(name)
	id := strconv.FormatInt(accountID, 10)
	if utf8.RuneCountInString(u) < minUsername || suffix {
		tail := " " + id
		if u == "" {
			tail = "Pilot " + id
		}
		if r := []rune(u); len(r)+utf8.RuneCountInString(tail) > maxUsername {
			u = strings.TrimSpace(string(r[:maxUsername-utf8.RuneCountInString(tail)]))
		}
		u += tail
	}
	return u
}
