package forumdb

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/keepstar/keepstar/internal/services"
)

func TestReadSettings(t *testing.T) {
	s, err := Read(map[string]string{SettingAddress: "db.example:3306", SettingDatabase: "forum", SettingUser: "keepstar",
		SettingPassword: "s3cret", SettingCreateGroups: "true"}, "phpbb_")
	if err != nil || s.Prefix != "phpbb_" || !s.CreateGroups || s.Avatar || s.Password != "s3cret" {
		t.Fatalf("%+v, %v", s, err)
	}
	// An empty prefix given is the forum's default too: forums are
	// installed with one, and the form sends the field empty.
	if s, _ := Read(map[string]string{SettingPrefix: ""}, "smf_"); s.Prefix != "smf_" {
		t.Errorf("prefix %q", s.Prefix)
	}
	_, err = Read(map[string]string{SettingAddress: "nohost", SettingDatabase: "a-b", SettingUser: "", SettingPassword: "x\ny",
		SettingPrefix: "x; DROP TABLE y", SettingDefaultGroup: strings.Repeat("g", 81)}, "phpbb_")
	for _, key := range []string{SettingAddress, SettingDatabase, SettingUser, SettingPassword, SettingPrefix, SettingDefaultGroup} {
		if err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("no problem reported for %s: %v", key, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "x\ny") {
		t.Error("the password is in the error")
	}
}

func TestChecks(t *testing.T) {
	for _, v := range []string{"", "phpbb_", "Forum2_", strings.Repeat("a", 32)} {
		if CheckPrefix(v) != nil {
			t.Errorf("prefix %q refused", v)
		}
	}
	for _, v := range []string{"a-b", "a b", "a`", strings.Repeat("a", 33), "ü"} {
		if CheckPrefix(v) == nil {
			t.Errorf("prefix %q accepted", v)
		}
	}
	for _, v := range []string{"127.0.0.1:0", "h:70000", ":3306", "a/b:1", "host"} {
		if CheckAddress(v) == nil {
			t.Errorf("address %q accepted", v)
		}
	}
	if CheckAddress("[::1]:3306") != nil || CheckAddress("db.internal:3307") != nil {
		t.Error("a good address refused")
	}
}

func TestClassify(t *testing.T) {
	for err, want := range map[error]error{
		&mysql.MySQLError{Number: 1213}:             services.ErrUnavailable,
		&mysql.MySQLError{Number: 1146}:             ErrNoTable,
		&mysql.MySQLError{Number: 1045}:             ErrDenied,
		fmt.Errorf("x: %w", mysql.ErrInvalidConn):   services.ErrUnavailable,
		fmt.Errorf("wrapped: %w", services.ErrGone): services.ErrGone,
	} {
		if got := Classify(err); !errors.Is(got, want) {
			t.Errorf("Classify(%v) = %v, want %v", err, got, want)
		}
	}
	if errors.Is(Classify(&mysql.MySQLError{Number: 1062}), services.ErrUnavailable) {
		t.Error("a duplicate key passes as unavailable")
	}
}
