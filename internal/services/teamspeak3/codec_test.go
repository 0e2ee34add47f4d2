package teamspeak3

import (
	"errors"
	"strings"
	"testing"
)

func TestCommandString(t *testing.T) {
	c := Cmd("clientkick", "clid", 1, "reasonmsg", "Go away! a|b/c\\d")
	c.More = [][]Arg{{{Key: "clid", Value: "2"}}}
	if got := c.With("uid").String(); got != `clientkick clid=1 reasonmsg=Go\saway!\sa\pb\/c\\d|clid=2 -uid` {
		t.Fatalf("%s", got)
	}
}

func TestParseStatus(t *testing.T) {
	err, ok := parseStatus(`error id=2568 msg=insufficient\sclient\spermissions failed_permid=i_group_member_add_power`)
	var qe *Error
	if !ok || !errors.As(err, &qe) || qe.ID != 2568 || qe.Msg != "insufficient client permissions" ||
		qe.Extra["failed_permid"] != "i_group_member_add_power" || !errors.Is(err, ErrPermissions) || errors.Is(err, ErrEmptyResult) {
		t.Fatalf("%v %v", err, ok)
	}
	if err, ok := parseStatus("error id=0 msg=ok"); !ok || err != nil {
		t.Fatalf("ok: %v %v", err, ok)
	}
	if _, ok := parseStatus("errors id=0"); ok {
		t.Fatal("not a status line")
	}
	if err, ok := parseStatus("error id=x msg=ok"); !ok || !errors.Is(err, ErrBadReply) {
		t.Fatalf("bad id: %v", err)
	}
}

func TestParseItems(t *testing.T) {
	items, err := ParseItems(`sgid=9 name=Fleet\sCommanders type=1|sgid=10 name=a=b\pc empty`)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0]["name"] != "Fleet Commanders" || items[1]["name"] != "a=b|c" || items[1]["empty"] != "" {
		t.Fatalf("%v", items)
	}
	if _, err := ParseItems(`name=a\q`); !errors.Is(err, ErrBadReply) {
		t.Fatalf("bad escape: %v", err)
	}
}

// Escape and Unescape round-trip any string, and an escaped value never
// holds what splits a line, an item or a pair.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a b", "a|b", `a\b`, "a/b", "Пилот 舰队", "\a\b\f\n\r\t\v", `\s\p`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if strings.ContainsAny(e, " |\n\r\t\v\f\a\b") {
			t.Fatalf("%q escaped to %q", s, e)
		}
		u, err := Unescape(e)
		if err != nil || u != s {
			t.Fatalf("%q -> %q -> %q, %v", s, e, u, err)
		}
	})
}

// Any line from the server: an error or items, never a panic; the items
// of a line written from parsed items read back the same.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"error id=0 msg=ok", `error id=524 msg=client\sis\sflooding extra_msg=x`, "sgid=1 name=a|sgid=2",
		`a=\`, "=", "|||", "a==b", "error id=99999999999999999999 msg=x", "error"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		_, _ = parseStatus(line)
		items, err := ParseItems(line)
		if err != nil {
			return
		}
		var parts []string
		for _, it := range items {
			var c Command
			for k, v := range it {
				c.Args = append(c.Args, Arg{Key: k, Value: v})
			}
			parts = append(parts, strings.TrimPrefix(c.String(), " "))
		}
		again, err := ParseItems(strings.Join(parts, "|"))
		if err != nil || len(again) != len(items) {
			t.Fatalf("%q: re-read %v, %v", line, again, err)
		}
		for i := range items {
			for k, v := range items[i] {
				if again[i][k] != v {
					t.Fatalf("%q: item %d key %q: %q then %q", line, i, k, v, again[i][k])
				}
			}
		}
	})
}
