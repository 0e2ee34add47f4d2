package xmpp

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestUsername(t *testing.T) {
	for in, want := range map[string]string{
		"Alice":                  "alice",
		"  Bob O'Brien ":         `bob\20o\27brien`,
		`a@b/c:d<e>f&g"h\i`:      `a\40b\2fc\3ad\3ce\3ef\26g\22h\5ci`,
		"Кирилл Мефодиев":        `кирилл\20мефодиев`,
		"tab\there\x7f":          "tabhere",
		"":                       "",
		strings.Repeat("é", 200): strings.Repeat("é", 128),
	} {
		if got := Username(in); got != want {
			t.Errorf("Username(%q) = %q, want %q", in, got, want)
		}
		if in != "" && !strings.ContainsAny(in, "\t\x7f") && len(in) < 100 {
			if back := Unescape(Username(in)); back != strings.ToLower(strings.TrimSpace(in)) {
				t.Errorf("Unescape(Username(%q)) = %q", in, back)
			}
		}
	}
}

func TestGroupName(t *testing.T) {
	for in, want := range map[string]string{"Fleet Command": "fleetcommand", "Cap-Pilots_2.0": "cap-pilots_2.0", "Ёж & Co!": "ёжco", "!!": ""} {
		if got := GroupName(in); got != want {
			t.Errorf("GroupName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every setting is checked, and the problems of a whole instance come
// together; the secret never shows in them.
func TestSettingsAreChecked(t *testing.T) {
	bad := map[string]func(string) error{
		"backend prosody":   checkBackend,
		"url ftp://x":       checkURL,
		"url http://u:p@x/": checkURL,
		"url http://x/?k=v": checkURL,
		"domain a@b":        checkDomain,
		"domain Upper.test": checkDomain,
		"domain x:5222":     checkDomain,
		"jid a b@x":         checkJID,
		"jid a@x/res":       checkJID,
		"word a b":          checkWord,
		"secret a\nb":       checkSecret,
	}
	for name, check := range bad {
		_, v, _ := strings.Cut(name, " ")
		if name == "secret a\nb" {
			v = "a\nb"
		}
		if check(v) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for v, check := range map[string]func(string) error{"ejabberd": checkBackend, "https://chat.example.org:5443/api": checkURL,
		"chat.example.org": checkDomain, "pings@chat.example.org": checkJID, "chat.example.org ": nil} {
		if check != nil && check(v) != nil {
			t.Errorf("%q refused: %v", v, check(v))
		}
	}
	_, err := readSettings(map[string]string{SettingBackend: "openfire", SettingAPIURL: "nope", SettingDomain: "", SettingAPISecret: ""})
	if err == nil || !strings.Contains(err.Error(), SettingAPIURL) || !strings.Contains(err.Error(), SettingDomain) ||
		!strings.Contains(err.Error(), SettingAPISecret) {
		t.Errorf("problems: %v", err)
	}
	_, err = readSettings(map[string]string{SettingBackend: "ejabberd", SettingAPIURL: "ftp://x", SettingDomain: "d", SettingAPISecret: "hunter2"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("problems: %v", err)
	}
}

// Whatever the formatted name, the login name is a JID local part the
// servers take: none of XEP-0106's characters left raw, no spaces or
// control characters, at most maxLocalBytes, valid UTF-8, lower case.
func FuzzUsername(f *testing.F) {
	for _, s := range []string{"Bob O'Brien", "Кирилл", `a@b/c\d`, " x ", "\x00\xff", "ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		u := Username(name)
		if len(u) > maxLocalBytes || !utf8.ValidString(u) || strings.ToLower(u) != u {
			t.Fatalf("Username(%q) = %q", name, u)
		}
		if strings.ContainsAny(u, "\"&'/:<>@ \t\n") {
			t.Fatalf("Username(%q) = %q keeps a character a local part cannot hold", name, u)
		}
		if strings.ContainsFunc(u, unicode.IsControl) {
			t.Fatalf("Username(%q) = %q has control characters", name, u)
		}
	})
}
