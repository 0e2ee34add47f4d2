package mumble

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/services/mumble/murmur"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

var testKey = []byte(strings.Repeat("k", 32))

// instanceRow makes a service instance row for mumble_users to hang on.
func instanceRow(t testing.TB, db *store.DB) int64 {
	t.Helper()
	var id int64
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO service_instances (slug, type, name, enabled, settings, secrets, name_format,
		map_by_name, state_as_group, unmanaged, verify_error, created_at, updated_at)
		VALUES ('voice', 'mumble', 'Voice', false, '{}', '', '', true, false, '', '', $1, $1) RETURNING id`, time.Now()).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestNamesMurmurAccepts(t *testing.T) {
	for in, want := range map[string]string{
		"Alice Pilot":     "Alice_Pilot",
		" O'Neil Jr. ":    "O_Neil_Jr.",
		"Tëst Ünïcode 名前": "Tëst_Ünïcode_名前",
		"a/b\\c|d":        "a_b_c|d",
	} {
		if got := Username(in); got != want {
			t.Errorf("Username(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Username(strings.Repeat("x", 300)); len(got) != maxNameRunes {
		t.Errorf("a long name kept %d characters", len(got))
	}
	if got := GroupName("Fleet Command\tA"); got != "Fleet-Command-A" {
		t.Errorf("GroupName: %q", got)
	}
	if got := Sanitize(" [TICK]Name\x07 "); got != "[TICK]Name" {
		t.Errorf("Sanitize: %q", got)
	}
}

func TestSettingsAreCheckedTogether(t *testing.T) {
	_, err := readSettings(map[string]string{SettingIceAddress: "nohostport", SettingServerID: "0",
		SettingModule: "Grumble", SettingCallbackListen: "127.0.0.1:99999"})
	for _, want := range []string{SettingIceAddress, SettingIceSecret, SettingServerID, SettingModule, SettingCallbackListen} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	s, err := readSettings(map[string]string{SettingIceAddress: "127.0.0.1:6502", SettingIceSecret: "s",
		SettingCallbackListen: "0.0.0.0:6503"})
	if err != nil {
		t.Fatal(err)
	}
	if s.serverID != 1 || s.callbackHost != "127.0.0.1" || s.module != "" {
		t.Errorf("defaults: %+v", s)
	}
}

// The authenticator's answers, from the database: the right password in
// with the name and groups stored, a wrong one or an unknown name out,
// SuperUser and (when allowed) strangers left to murmurd, a regroup
// password good once and not after it expired, a database that fails
// refuses as unverifiable.
func TestAuthenticatorAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		u, err := newUsers(db, instanceRow(t, db), testKey, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		alice := user{ID: userIDOffset + 7, Username: "Alice_Pilot", DisplayName: "[TICK]Alice Pilot", Groups: []string{"Fleet", MemberGroup}}
		if err := u.create(ctx, alice, "right password"); err != nil {
			t.Fatal(err)
		}
		if err := u.create(ctx, user{ID: userIDOffset + 8, Username: "alice_pilot"}, "x"); !errors.Is(err, errNameTaken) {
			t.Errorf("a second user of the name (other case): %v, want errNameTaken", err)
		}
		a := &authenticator{users: u, logger: slog.New(slog.DiscardHandler)}
		id, name, groups := a.Authenticate(ctx, "alice_PILOT", "right password", "", false)
		if id != alice.ID || name != alice.DisplayName || strings.Join(groups, ",") != "Fleet,keepstar" {
			t.Errorf("right password: %d %q %q", id, name, groups)
		}
		if id, _, _ := a.Authenticate(ctx, "Alice_Pilot", "wrong", "", false); id != murmur.AuthRefused {
			t.Errorf("wrong password: %d", id)
		}
		if id, _, _ := a.Authenticate(ctx, "Bob", "x", "", false); id != murmur.AuthRefused {
			t.Errorf("unknown name: %d, want refused", id)
		}
		if id, _, _ := a.Authenticate(ctx, "superuser", "x", "", false); id != murmur.AuthUnknown {
			t.Errorf("SuperUser: %d, want left to murmurd", id)
		}
		guests := &authenticator{users: u, allowGuests: true}
		if id, _, _ := guests.Authenticate(ctx, "Bob", "x", "", false); id != murmur.AuthUnknown {
			t.Errorf("unknown name with guests allowed: %d, want left to murmurd", id)
		}
		if a.NameToID(ctx, "ALICE_pilot") != alice.ID || a.IDToName(ctx, alice.ID) != alice.DisplayName || a.NameToID(ctx, "Bob") != murmur.AuthUnknown {
			t.Error("nameToId / idToName")
		}
		if info, ok := a.GetInfo(ctx, alice.ID); !ok || info[murmur.UserName] != alice.DisplayName {
			t.Errorf("getInfo: %v %t", info, ok)
		}
		if _, ok := a.GetInfo(ctx, 5); ok {
			t.Error("getInfo of murmurd's own user")
		}

		// The regroup password: good until it expires or is cleared.
		stored, err := u.byID(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.setRegroup(ctx, stored, "one-time", regroupLifetime); err != nil {
			t.Fatal(err)
		}
		if id, _, _ := a.Authenticate(ctx, "Alice_Pilot", "one-time", "", false); id != alice.ID {
			t.Errorf("regroup password: %d", id)
		}
		now = now.Add(regroupLifetime)
		if id, _, _ := a.Authenticate(ctx, "Alice_Pilot", "one-time", "", false); id != murmur.AuthRefused {
			t.Errorf("an expired regroup password: %d", id)
		}
		if err := u.clearRegroup(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if err := u.setPassword(ctx, alice.ID, "new one"); err != nil {
			t.Fatal(err)
		}
		if id, _, _ := a.Authenticate(ctx, "Alice_Pilot", "right password", "", false); id != murmur.AuthRefused {
			t.Error("the old password still works")
		}
		if id, _, _ := a.Authenticate(ctx, "Alice_Pilot", "new one", "", false); id != alice.ID {
			t.Error("the new password does not work")
		}
		// The hash at rest is no plain digest of the password.
		var hash string
		if err := db.QueryRow(ctx, `SELECT password_hash FROM mumble_users WHERE user_id = $1`, alice.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(hash, "new one") || len(hash) != 43 {
			t.Errorf("stored hash %q", hash)
		}
		// Another key (another site's KEEPSTAR_SECRET_KEY) does not verify it.
		other, err := newUsers(db, u.instance, []byte(strings.Repeat("o", 32)), u.now)
		if err != nil {
			t.Fatal(err)
		}
		if id, _, _ := (&authenticator{users: other}).Authenticate(ctx, "Alice_Pilot", "new one", "", false); id != murmur.AuthRefused {
			t.Error("a hash verified under another key")
		}

		if err := u.remove(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if id, _, _ := a.Authenticate(ctx, "Alice_Pilot", "new one", "", false); id != murmur.AuthRefused {
			t.Error("a removed user logs in")
		}
		db.Close()
		if id, _, _ := a.Authenticate(ctx, "Alice_Pilot", "new one", "", false); id != murmur.AuthUnavailable {
			t.Errorf("with the database gone: %d, want unverifiable", id)
		}
	})
}
