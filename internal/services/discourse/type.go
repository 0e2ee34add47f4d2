package discourse

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/keepstar/keepstar/internal/services"
)

// TypeName is the connector type's name, stored with its instances.
const TypeName = "discourse"

// The settings of a Discourse instance.
const (
	// SettingURL is the forum's address (https://forum.example.org).
	SettingURL = "url"
	// SettingConnectSecret is the forum's discourse_connect_secret.
	SettingConnectSecret = "connect_secret"
	// SettingAPIKey is an admin API key of the forum ("all users").
	SettingAPIKey = "api_key"
	// SettingAPIUsername is the admin the key acts as (system when empty).
	SettingAPIUsername = "api_username"
	// SettingEmailDomain is the domain of the placeholder addresses
	// Keepstar gives members there: <external id>@<domain>.
	SettingEmailDomain = "email_domain"
	// SettingCreateGroups makes the forum's groups Keepstar gives and the
	// forum lacks.
	SettingCreateGroups = "create_groups"
)

const defaultAPIUsername = "system"

// maxName bounds the display name (Discourse keeps up to 255).
const maxName = 255

// Type is the Discourse connector type.
func Type() services.Type {
	return services.Type{
		Name:         TypeName,
		Label:        "services.discourse.label",
		Help:         "services.discourse.help",
		Capabilities: services.Capabilities{SSOProvider: true, Groups: true, Nickname: true},
		Settings: []services.Setting{
			{Key: SettingURL, Label: "services.discourse.setting.url", Help: "services.discourse.setting.url_help",
				Required: true, Check: checkURL},
			{Key: SettingConnectSecret, Label: "services.discourse.setting.connect_secret",
				Help: "services.discourse.setting.connect_secret_help", Secret: true, Required: true, Check: checkSecret},
			{Key: SettingAPIKey, Label: "services.discourse.setting.api_key", Help: "services.discourse.setting.api_key_help",
				Secret: true, Required: true, Check: checkAPIKey},
			{Key: SettingAPIUsername, Label: "services.discourse.setting.api_username",
				Help: "services.discourse.setting.api_username_help", Check: checkAPIUsername},
			{Key: SettingEmailDomain, Label: "services.discourse.setting.email_domain",
				Help: "services.discourse.setting.email_domain_help", Required: true, Check: checkDomain},
			{Key: SettingCreateGroups, Label: "services.discourse.setting.create_groups",
				Help: "services.discourse.setting.create_groups_help", Bool: true},
		},
		// Alliance Auth's default for Discourse.
		DefaultNameFormat: "{character_name}",
		Sanitize:          Sanitize,
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			return open(inst, env)
		},
		Locales: Locales,
	}
}

// settings are an instance's settings, read.
type settings struct {
	base         *url.URL
	secret       string
	apiKey       string
	apiUsername  string
	emailDomain  string
	createGroups bool
}

func readSettings(set map[string]string) (settings, error) {
	s := settings{secret: set[SettingConnectSecret], apiKey: strings.TrimSpace(set[SettingAPIKey]),
		apiUsername: strings.TrimSpace(set[SettingAPIUsername]), emailDomain: strings.ToLower(strings.TrimSpace(set[SettingEmailDomain])),
		createGroups: set[SettingCreateGroups] == "true"}
	var problems []error
	raw := strings.TrimSpace(set[SettingURL])
	if err := checkURL(raw); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", SettingURL, err))
	} else {
		s.base, _ = url.Parse(strings.TrimSuffix(raw, "/")) // checked just above
	}
	if err := checkSecret(s.secret); err != nil || s.secret == "" {
		problems = append(problems, fmt.Errorf("%s: the forum's discourse connect secret is needed", SettingConnectSecret))
	}
	if err := checkAPIKey(s.apiKey); err != nil || s.apiKey == "" {
		problems = append(problems, fmt.Errorf("%s: an admin API key of the forum is needed", SettingAPIKey))
	}
	if s.apiUsername == "" {
		s.apiUsername = defaultAPIUsername
	}
	if err := checkAPIUsername(s.apiUsername); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", SettingAPIUsername, err))
	}
	if err := checkDomain(s.emailDomain); err != nil || s.emailDomain == "" {
		problems = append(problems, fmt.Errorf("%s: a domain for the members' placeholder addresses is needed", SettingEmailDomain))
	}
	return s, errors.Join(problems...)
}

func checkURL(v string) error {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("the forum's address, such as https://forum.example.org (http or https, no query)")
	}
	return nil
}

// checkSecret: Discourse asks for at least 10 characters.
func checkSecret(v string) error {
	if v == "" {
		return nil
	}
	if len(v) < 10 {
		return errors.New("Discourse requires a secret of at least 10 characters")
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("it has control characters: paste the secret alone")
	}
	return nil
}

var apiKeyChars = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

func checkAPIKey(v string) error {
	if !apiKeyChars.MatchString(v) {
		return errors.New("an API key is letters and digits, as Discourse shows it once when it is made")
	}
	return nil
}

func checkAPIUsername(v string) error {
	if v != "" && !apiKeyChars.MatchString(strings.ReplaceAll(v, ".", "")) {
		return errors.New("a forum username (letters, digits, _ . -): system, or an admin's")
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

// Sanitize makes a formatted name a Discourse display name: no control
// characters, no spaces at either end, at most 255 characters.
func Sanitize(name string) string {
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
	if utf8.RuneCountInString(name) > maxName {
		name = strings.TrimSpace(string([]rune(name)[:maxName]))
	}
	return name
}

// Discourse's username rules with unicode_usernames off, its default:
// 3 to 20 characters (min_username_length, max_username_length) of
// A–Z a–z 0–9 _ . -, the first a letter, digit or underscore, the last a
// letter or digit, never two of _ . - in a row, no ending a browser would
// take for a file.
const (
	minUsername = 3
	maxUsername = 20
)

var confusingSuffix = regexp.MustCompile(`(?i)\.(js|json|css|htm|html|xml|jpg|jpeg|png|gif|bmp|ico|tif|tiff|woff)$`)

// transliterations are letters that do not decompose into a Latin letter
// and a mark: the ligatures and strokes of Latin alphabets, and Cyrillic
// (the common romanisation), so that such names keep their sound.
var transliterations = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE", 'ø': "o", 'Ø': "O", 'đ': "d", 'Đ': "D", 'ł': "l", 'Ł': "L",
	'þ': "th", 'Þ': "Th", 'ð': "d", 'Ð': "D", 'ı': "i",
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i", 'й': "i",
	'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f",
	'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu", 'я': "ia",
	'А': "A", 'Б': "B", 'В': "V", 'Г': "G", 'Д': "D", 'Е': "E", 'Ё': "E", 'Ж': "Zh", 'З': "Z", 'И': "I", 'Й': "I",
	'К': "K", 'Л': "L", 'М': "M", 'Н': "N", 'О': "O", 'П': "P", 'Р': "R", 'С': "S", 'Т': "T", 'У': "U", 'Ф': "F",
	'Х': "Kh", 'Ц': "Ts", 'Ч': "Ch", 'Ш': "Sh", 'Щ': "Shch", 'Ъ': "", 'Ы': "Y", 'Ь': "", 'Э': "E", 'Ю': "Iu", 'Я': "Ia",
}

// asciiName makes name fit Discourse's characters: accents dropped,
// Latin ligatures and Cyrillic transliterated, apostrophes removed (as
// Alliance Auth does: "O'Neil" is "ONeil"), every other character a "_",
// runs of _ . - made one, none at either end.
func asciiName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(name) {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-'):
			b.WriteRune(r)
		case r == '\'' || r == '’' || r == '‘' || r == '`' || unicode.Is(unicode.Mn, r):
		case transliterations[r] != "":
			b.WriteString(transliterations[r])
		default:
			if _, ok := transliterations[r]; !ok {
				b.WriteByte('_')
			}
		}
	}
	out := make([]byte, 0, b.Len())
	for _, c := range []byte(b.String()) {
		if isSpecial(c) && len(out) > 0 && isSpecial(out[len(out)-1]) {
			continue
		}
		out = append(out, c)
	}
	return strings.Trim(string(out), "_.-")
}

func isSpecial(c byte) bool { return c == '_' || c == '.' || c == '-' }

// fit cuts a name made by asciiName to n characters, ending it with a
// letter or digit and never like a file name.
func fit(name string, n int) string {
	if len(name) > n {
		name = name[:n]
	}
	name = strings.TrimRight(name, "_.-")
	if loc := confusingSuffix.FindStringIndex(name); loc != nil {
		name = name[:loc[0]] + "_" + name[loc[0]+1:]
	}
	return name
}

// Username makes a name a username Discourse accepts. A name with too
// little left (a name in a script without a Latin form) becomes
// "user<account id>", as Discourse itself names users it cannot name; a
// short one gets the account's number.
func Username(name string, accountID int64) string {
	id := strconv.FormatInt(accountID, 10)
	u := fit(asciiName(name), maxUsername)
	switch {
	case u == "":
		return fit("user"+id, maxUsername)
	case len(u) < minUsername:
		return fit(u+"_"+id, maxUsername)
	}
	return u
}

// GroupName makes a Keepstar group's name (or a mapping's) a group name
// Discourse accepts; its rules for group names are its username rules. A
// name too short gets "group_" before it, one with nothing left is "".
func GroupName(name string) string {
	g := fit(asciiName(name), maxUsername)
	if g != "" && len(g) < minUsername {
		g = "group_" + g
	}
	return g
}
