package tokencheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// notice is a notification as stored, read without this code's help.
type notice struct {
	key      string
	args     map[string]string
	security bool
}

func noticesOf(t *testing.T, site *sitetest.Site, characterID int32) []notice {
	t.Helper()
	var account int64
	err := site.DB.QueryRow(context.Background(), `SELECT account_id FROM characters WHERE id = $1`, characterID).Scan(&account)
	if err != nil {
		t.Fatal(err)
	}
	return noticesOfAccount(t, site, account)
}

func noticesOfAccount(t *testing.T, site *sitetest.Site, account int64) []notice {
	t.Helper()
	rs, err := site.DB.Query(context.Background(), `SELECT message_key, args, security FROM notifications WHERE account_id = $1 ORDER BY id`, account)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []notice
	for rs.Next() {
		var n notice
		var args string
		if err := rs.Scan(&n.key, &args, &n.security); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(args), &n.args); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// keys lists the message ids of the notices that concern the character.
func keys(ns []notice, name string) []string {
	var out []string
	for _, n := range ns {
		if n.args["Character"] == name {
			out = append(out, n.key)
		}
	}
	return out
}

func invalidSince(t *testing.T, site *sitetest.Site, characterID int32) time.Time {
	t.Helper()
	r := rows(t, site)[tokens.Key{CharacterID: characterID, Login: logins.Default}]
	if r.valid || r.invalidSince == nil {
		t.Fatalf("the token of %d: valid %t, invalid since %v", characterID, r.valid, r.invalidSince)
	}
	return *r.invalidSince
}

// age moves a token's invalidity and its announced deadline back in time,
// as if that much time had passed.
func age(t *testing.T, site *sitetest.Site, characterID int32, by time.Duration) {
	t.Helper()
	exec(t, site, `UPDATE eve_tokens SET invalid_since = $2, lost_access_deadline = $3
		WHERE character_id = $1 AND login = 'core.default'`, characterID,
		invalidSince(t, site, characterID).Add(-by), deadlineOf(t, site, characterID).Add(-by))
}

func deadlineOf(t *testing.T, site *sitetest.Site, characterID int32) time.Time {
	t.Helper()
	var d *time.Time
	if err := site.DB.QueryRow(context.Background(), `SELECT lost_access_deadline FROM eve_tokens
		WHERE character_id = $1 AND login = 'core.default'`, characterID).Scan(&d); err != nil {
		t.Fatal(err)
	}
	if d == nil {
		t.Fatalf("character %d: no deadline announced", characterID)
	}
	return *d
}

const day = 24 * time.Hour

// A character sold as EVE sells them (the simulator revokes the seller's
// refresh tokens: invalid_grant at the next refresh) does not stay on the
// seller's account: with the defaults, the token check tells the account
// at once, again a day before the deadline, and removes the character a
// week after its token went invalid (deleted-lost-access, recorded, its
// tokens gone, the account told, the main kept). The buyer's login then
// makes an account of their own.
func TestSoldCharacterIsRemovedAfterTheNotices(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		ctx := context.Background()
		a := site.AccountCharacters(t, 2)
		b := logIn(t, site, a)
		main, sold := a[0], a[1]
		acc := site.Accounts()
		seller, err := acc.Character(ctx, sold)
		if err != nil {
			t.Fatal(err)
		}
		control(t, site, fmt.Sprintf("characters/%d/transfer", sold), "")

		site.RunJob(t, tokencheck.Args{All: true})
		since := invalidSince(t, site, sold)
		ns := noticesOfAccount(t, site, seller.AccountID)
		if got := keys(ns, seller.Name); len(got) != 1 || got[0] != "tokencheck.notice.lost_access.first" {
			t.Fatalf("notices of the sold character after the check: %v, want the first notice", got)
		}
		for _, n := range ns {
			if n.key == "tokencheck.notice.lost_access.first" && !n.security {
				t.Error("the first lost-access notice is not a security notice: other notices could push it out unread")
			}
		}
		deadline := deadlineOf(t, site, sold)
		if d := deadline.Sub(since); d < 7*day || d > 7*day+time.Minute {
			t.Errorf("deadline %s after the token went invalid, want a week", d)
		}
		if got := ns[len(ns)-1].args["Deadline"]; got != deadline.UTC().Format("2006-01-02 15:04 UTC") {
			t.Errorf("deadline announced %q, stored %s", got, deadline)
		}
		b.Expect(t, "seller", "/notifications", nil, http.StatusOK,
			html.EscapeString("Log in with "+seller.Name+" again"), "before "+ns[len(ns)-1].args["Deadline"])

		// Runs within the week: no more notices, nothing removed.
		site.RunJob(t, tokencheck.Args{})
		age(t, site, sold, 5*day)
		site.RunJob(t, tokencheck.Args{})
		if got := keys(noticesOfAccount(t, site, seller.AccountID), seller.Name); len(got) != 1 {
			t.Fatalf("notices within the week: %v", got)
		}

		// A day before the deadline: the last notice.
		age(t, site, sold, day+time.Minute)
		site.RunJob(t, tokencheck.Args{})
		got := keys(noticesOfAccount(t, site, seller.AccountID), seller.Name)
		if len(got) != 2 || got[1] != "tokencheck.notice.lost_access.last" {
			t.Fatalf("notices a day before the deadline: %v, want the last notice", got)
		}
		if _, err := acc.Character(ctx, sold); err != nil {
			t.Fatalf("the character left before the deadline: %v", err)
		}

		// The deadline passed: removed.
		age(t, site, sold, day)
		site.RunJob(t, tokencheck.Args{})
		removals, err := acc.RemovalsOfCharacter(ctx, sold)
		if err != nil || len(removals) != 1 || removals[0].Reason != accounts.DeletedLostAccess || removals[0].AccountID != seller.AccountID {
			t.Fatalf("removals of the sold character: %+v, %v; want one deleted-lost-access", removals, err)
		}
		if _, err := acc.Character(ctx, sold); !errors.Is(err, accounts.ErrNotFound) {
			t.Fatalf("the sold character is still on an account: %v", err)
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1`, sold); n != 0 {
			t.Errorf("the sold character keeps %d tokens", n)
		}
		got = keys(noticesOfAccount(t, site, seller.AccountID), seller.Name)
		if len(got) != 3 || got[2] != "accounts.notice.removed.deleted-lost-access" {
			t.Fatalf("notices after the removal: %v", got)
		}
		if m, err := acc.Character(ctx, main); err != nil || !m.Main || m.AccountID != seller.AccountID {
			t.Fatalf("the seller's main after the removal: %+v, %v", m, err)
		}
		site.RunJob(t, tokencheck.Args{})
		if got := keys(noticesOfAccount(t, site, seller.AccountID), seller.Name); len(got) != 3 {
			t.Fatalf("notices after one more run: %v", got)
		}

		// The buyer logs in: an account of their own.
		site.NewBrowser(t).LogIn(t, sold)
		bought, err := acc.Character(ctx, sold)
		if err != nil || bought.AccountID == seller.AccountID || !bought.Main {
			t.Fatalf("the buyer's character: %+v, %v", bought, err)
		}
	})
}

// A member who changed their password (every refresh token of the
// character dies) is told, and logging in with the character again stops
// the clock: the token is valid, its notices are cleared, and nothing is
// removed however long it had been invalid. Invalid again later, the clock
// starts over with a first notice.
func TestLoggingInAgainStopsTheClock(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		ctx := context.Background()
		a := site.AccountCharacters(t, 1)
		b := logIn(t, site, a)
		id := a[0]
		control(t, site, fmt.Sprintf("characters/%d/invalidate-tokens", id), "")
		site.RunJob(t, tokencheck.Args{All: true})
		c, err := site.Accounts().Character(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(noticesOf(t, site, id), c.Name); len(got) != 1 || got[0] != "tokencheck.notice.lost_access.first" {
			t.Fatalf("notices after the password change: %v", got)
		}
		age(t, site, id, 6*day+time.Hour)

		b.AddCharacter(t, id) // logged in again: the token is renewed
		var notices int
		var deadline *time.Time
		if err := site.DB.QueryRow(ctx, `SELECT lost_access_notices, lost_access_deadline FROM eve_tokens
			WHERE character_id = $1 AND login = 'core.default'`, id).Scan(&notices, &deadline); err != nil {
			t.Fatal(err)
		}
		if r := rows(t, site)[tokens.Key{CharacterID: id, Login: logins.Default}]; !r.valid || notices != 0 || deadline != nil {
			t.Fatalf("after logging in again: valid %t, notices %d, deadline %v", r.valid, notices, deadline)
		}
		site.RunJob(t, tokencheck.Args{All: true})
		if removals, err := site.Accounts().RemovalsOfCharacter(ctx, id); err != nil || len(removals) != 0 {
			t.Fatalf("removed after logging in again: %+v, %v", removals, err)
		}
		if got := keys(noticesOf(t, site, id), c.Name); len(got) != 1 {
			t.Fatalf("notices after logging in again: %v", got)
		}

		control(t, site, fmt.Sprintf("characters/%d/invalidate-tokens", id), "")
		site.RunJob(t, tokencheck.Args{All: true})
		if got := keys(noticesOf(t, site, id), c.Name); len(got) != 2 || got[1] != "tokencheck.notice.lost_access.first" {
			t.Fatalf("notices after the token died again: %v", got)
		}
	})
}

// clockChecker is a Checker as the application builds one, over the site's
// database and simulator, with a clock of the test's and settings read
// afresh at every run.
func clockChecker(t *testing.T, site *sitetest.Site, now *time.Time) (*tokencheck.Checker, *settings.Store) {
	t.Helper()
	values := settings.NewStore(site.DB, settings.NewRegistry(access.Settings, tokencheck.Settings, notifications.Settings), nil, time.Nanosecond)
	box, err := secrets.New(site.Config.SecretKey, tokens.SecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	st := tokens.NewStore(site.DB, box, nil)
	client, err := sso.New(sso.Config{BaseURL: site.Config.EVESSOURL.String(), ClientID: sitetest.ClientID,
		ClientSecret: sitetest.ClientSecret, RedirectURL: site.URL + "/sso/callback"})
	if err != nil {
		t.Fatal(err)
	}
	esiClient, err := esi.New(esi.Config{BaseURL: site.SimURL, UserAgent: "keepstar-test", Cache: esi.NewCache(site.DB, 0),
		Gate: esi.NewGate(site.DB, esi.GateOptions{}), ClientID: sitetest.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	notes := notifications.NewStore(site.DB, values, nil)
	return tokencheck.New(tokencheck.Deps{
		DB: site.DB, Tokens: st, Source: tokens.NewSource(st, client, tokens.SourceOptions{}),
		Logins: logins.NewStore(site.DB, nil), Roles: esiClient,
		Accounts:     accounts.New(site.DB, accounts.Options{Tokens: st, Notifier: notes}),
		Affiliations: affiliations.New(site.DB, esiClient, nil, 0), Recomputer: access.NewRecomputer(site.DB, values, nil),
		Notifier: notes, Settings: values, Now: func() time.Time { return *now },
	}), values
}

// The deadlines hold whatever the setting does: 0 tells nobody and removes
// nothing; turned on over a token invalid for long, the first notice gives
// the whole period; a deadline announced is never brought forward by a
// shorter setting; the last notice comes a day before it; the SSO down in a
// run removes nobody (members could not log in); a period of one day gives
// one notice, a day ahead.
func TestLostAccessDeadlinesAreKept(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		ctx := context.Background()
		a := site.AccountCharacters(t, 3)
		logIn(t, site, a)
		lapsed, short := a[1], a[2]
		now := time.Now()
		checker, values := clockChecker(t, site, &now)
		set := func(days string) {
			t.Helper()
			if err := values.Set(ctx, map[string]string{tokencheck.SettingLostAccessDays.Name: days}); err != nil {
				t.Fatal(err)
			}
		}
		run := func(at time.Time) error {
			t.Helper()
			now = at
			_, err := checker.Check(ctx, tokencheck.Scope{All: true, Since: time.Now()})
			return err
		}
		must := func(at time.Time) {
			t.Helper()
			if err := run(at); err != nil {
				t.Fatal(err)
			}
		}
		c, err := site.Accounts().Character(ctx, lapsed)
		if err != nil {
			t.Fatal(err)
		}
		notices := func() []string { return keys(noticesOf(t, site, a[0]), c.Name) }
		removed := func() bool {
			t.Helper()
			removals, err := site.Accounts().RemovalsOfCharacter(ctx, lapsed)
			if err != nil {
				t.Fatal(err)
			}
			return len(removals) == 1 && removals[0].Reason == accounts.DeletedLostAccess
		}

		set("0")
		control(t, site, fmt.Sprintf("characters/%d/invalidate-tokens", lapsed), "")
		must(now)
		since := invalidSince(t, site, lapsed)
		must(since.Add(399 * day))
		if got := notices(); len(got) != 0 || removed() {
			t.Fatalf("with the setting 0: notices %v, removed %t", got, removed())
		}

		on := since.Add(400 * day)
		set("30")
		must(on)
		if got := notices(); len(got) != 1 || got[0] != "tokencheck.notice.lost_access.first" || !deadlineOf(t, site, lapsed).Equal(on.Add(30*day)) {
			t.Fatalf("turned on with 30 days: notices %v, deadline %s after", got, deadlineOf(t, site, lapsed).Sub(on))
		}
		set("7")
		must(on.Add(10 * day))
		if got := notices(); len(got) != 1 || removed() {
			t.Fatalf("a shorter setting brought the deadline forward: notices %v, removed %t", got, removed())
		}
		must(on.Add(29*day - time.Minute))
		if got := notices(); len(got) != 1 {
			t.Fatalf("the last notice came early: %v", got)
		}
		must(on.Add(29*day + time.Minute))
		if got := notices(); len(got) != 2 || got[1] != "tokencheck.notice.lost_access.last" {
			t.Fatalf("a day before the deadline: notices %v", got)
		}
		last := deadlineOf(t, site, lapsed)
		must(last.Add(-time.Minute))
		if removed() {
			t.Fatal("removed before the last deadline announced")
		}
		site.SSODown(true)
		if err := run(last.Add(time.Minute)); !errors.Is(err, tokencheck.ErrSSODown) || removed() {
			t.Fatalf("with the SSO down: %v, removed %t", err, removed())
		}
		site.SSODown(false)
		must(last.Add(2 * time.Minute))
		if !removed() {
			t.Fatal("not removed after the deadline")
		}
		if got := notices(); len(got) != 3 || got[2] != "accounts.notice.removed.deleted-lost-access" {
			t.Fatalf("notices after the removal: %v", got)
		}

		// One day: the first notice is the last, and leaves a day.
		set("1")
		control(t, site, fmt.Sprintf("characters/%d/invalidate-tokens", short), "")
		must(time.Now())
		start := now
		sc, err := site.Accounts().Character(ctx, short)
		if err != nil {
			t.Fatal(err)
		}
		if d := deadlineOf(t, site, short).Sub(start); d < day-time.Millisecond || d > day+time.Millisecond {
			t.Fatalf("deadline %s after the first notice, want a day", d)
		}
		must(start.Add(day - time.Minute))
		if got := keys(noticesOf(t, site, short), sc.Name); len(got) != 1 || got[0] != "tokencheck.notice.lost_access.first" {
			t.Fatalf("a period of one day: notices %v", got)
		}
		must(start.Add(day + time.Minute))
		if removals, err := site.Accounts().RemovalsOfCharacter(ctx, short); err != nil || len(removals) != 1 {
			t.Fatalf("a period of one day: removals %+v, %v", removals, err)
		}
		if got := keys(noticesOf(t, site, a[0]), sc.Name); len(got) != 2 || got[1] != "accounts.notice.removed.deleted-lost-access" {
			t.Fatalf("a period of one day: notices %v, want the first and the removal", got)
		}
	})
}
