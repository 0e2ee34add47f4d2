package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// testKey seals the tokens of every test.
const testKey = "a test key of at least thirty-two bytes!"

// clock is the time of a test: it stands still until the test moves it, so
// which character is older never depends on how fast the machine is.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one test's database with Accounts built on the real token,
// notification and settings stores, as the application builds it.
type env struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	clock  *clock
	a      *accounts.Accounts
	tokens *tokens.Store
	notes  *notifications.Store
	// serial numbers the access tokens, so a test can tell which token a
	// rule stored.
	serial atomic.Int64
}

func newEnv(t *testing.T, db *store.DB) *env {
	return newEnvWith(t, db, nil)
}

// newEnvWith lets a test change the options before Accounts is built.
func newEnvWith(t *testing.T, db *store.DB, change func(*accounts.Options)) *env {
	t.Helper()
	box, err := secrets.New([]byte(testKey), tokens.SecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), db: db, clock: newClock()}
	e.tokens = tokens.NewStore(db, box, e.clock.Now)
	settingsStore := settings.NewStore(db, settings.NewRegistry(notifications.Settings), nil, 0)
	e.notes = notifications.NewStore(db, settingsStore, e.clock.Now)
	opts := accounts.Options{
		Tokens:   e.tokens,
		Notifier: e.notes,
		Mergers:  []accounts.Merger{access.MergeAccounts, e.notes.MergeAccounts},
		Now:      e.clock.Now,
	}
	if change != nil {
		change(&opts)
	}
	e.a = accounts.New(db, opts)
	return e
}

// char is an EVE character as the SSO describes it: id, name and owner hash.
type char struct {
	id    int32
	name  string
	owner string
}

// token is the SSO's answer for a character, with the publicData scope
// and an access token no other call gets.
func (e *env) token(c char) sso.Token {
	n := e.serial.Add(1)
	return sso.Token{
		AccessToken:  fmt.Sprintf("access-%d-%d", c.id, n),
		RefreshToken: fmt.Sprintf("refresh-%d-%d", c.id, n),
		Expiry:       e.clock.Now().Add(20 * time.Minute),
		Claims:       sso.Claims{CharacterID: c.id, Name: c.name, Owner: c.owner, Scopes: []string{"publicData"}},
	}
}

// noScopes is the answer of a login that asked for no scopes.
func noScopes(tok sso.Token) sso.Token {
	tok.Claims.Scopes = nil
	return tok
}

// tick moves the clock a second, so every rule happens at its own time.
func (e *env) tick() { e.clock.Advance(time.Second) }

// tryLogin logs a character in a second after the last rule.
func (e *env) tryLogin(c char, allowAlt bool) (accounts.Result, error) {
	e.tick()
	return e.a.Login(e.ctx, accounts.LoginRequest{Token: e.token(c), TokenLogin: logins.Default, AllowAltLogin: allowAlt})
}

// login logs a character in (alts allowed) and fails the test on an error.
func (e *env) login(c char) accounts.Result {
	e.t.Helper()
	res, err := e.tryLogin(c, true)
	if err != nil {
		e.t.Fatalf("login of %d (%s): %v", c.id, c.owner, err)
	}
	return res
}

// tryAdd adds a character to an account a second after the last rule.
func (e *env) tryAdd(accountID int64, c char, login string) (accounts.Result, error) {
	e.tick()
	return e.a.AddCharacter(e.ctx, accountID, e.token(c), login)
}

// add adds a character to an account with its core.default token and fails
// the test on an error.
func (e *env) add(accountID int64, c char) accounts.Result {
	e.t.Helper()
	res, err := e.tryAdd(accountID, c, logins.Default)
	if err != nil {
		e.t.Fatalf("add %d (%s) to account %d: %v", c.id, c.owner, accountID, err)
	}
	return res
}

// account makes an account with its main and alts, in that order, all of
// the main's owner unless an alt says otherwise.
func (e *env) account(main char, alts ...char) int64 {
	e.t.Helper()
	res := e.login(main)
	if res.Outcome != accounts.Created {
		e.t.Fatalf("login of %d: %s, want a new account", main.id, res.Outcome)
	}
	for _, alt := range alts {
		if r := e.add(res.AccountID, alt); r.Outcome != accounts.Added {
			e.t.Fatalf("add %d: %s, want added", alt.id, r.Outcome)
		}
	}
	return res.AccountID
}

// saveToken stores a token of another EVE login for a character, as the
// token page does.
func (e *env) saveToken(c char, login string) {
	e.t.Helper()
	if _, err := e.tokens.Save(e.ctx, e.db, e.token(c), login); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(id int64) accounts.Account {
	e.t.Helper()
	acc, err := e.a.Get(e.ctx, id)
	if err != nil {
		e.t.Fatalf("get account %d: %v", id, err)
	}
	return acc
}

func (e *env) chars(accountID int64) []accounts.Character {
	e.t.Helper()
	cs, err := e.a.Characters(e.ctx, accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// ids gives the account's character ids, sorted.
func (e *env) ids(accountID int64) []int32 {
	e.t.Helper()
	ids := accounts.IDs(e.chars(accountID))
	slices.Sort(ids)
	return ids
}

// mains reads the account's main characters with SQL: never more than one.
func (e *env) mains(accountID int64) []int32 {
	e.t.Helper()
	rows, err := e.db.Query(e.ctx, `SELECT id FROM characters WHERE account_id = $1 AND main ORDER BY id`, accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []int32
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// count runs a SELECT count(*) statement.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// tokenOwners reads the stored tokens of a character with SQL: the owner
// hash each EVE login's token was given by.
func (e *env) tokenOwners(characterID int32) map[string]string {
	e.t.Helper()
	rows, err := e.db.Query(e.ctx, `SELECT login, owner_hash FROM eve_tokens WHERE character_id = $1`, characterID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var login, owner string
		if err := rows.Scan(&login, &owner); err != nil {
			e.t.Fatal(err)
		}
		out[login] = owner
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) removals(accountID int64) []accounts.Removal {
	e.t.Helper()
	rs, err := e.a.Removals(e.ctx, accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *env) owners(accountID int64) []accounts.Owner {
	e.t.Helper()
	os, err := e.a.Owners(e.ctx, accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return os
}

func (e *env) notices(accountID int64) []notifications.Notification {
	e.t.Helper()
	ns, err := e.notes.List(e.ctx, accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

// titles gives the title keys of an account's notifications, oldest first.
func (e *env) titles(accountID int64) []string {
	e.t.Helper()
	var out []string
	for _, n := range e.notices(accountID) {
		out = append(out, n.TitleKey)
	}
	slices.Reverse(out)
	return out
}

func (e *env) viewer(c char) (*web.Viewer, error) {
	return e.a.Viewer(e.ctx, c.id, c.owner)
}

// removal is what a test expects of a removal record.
type removal struct {
	account, newAccount int64
	character           int32
	reason              accounts.Reason
	by                  int64
}

// removalsOf reads every removal record naming a character, oldest first,
// with SQL.
func (e *env) removalsOf(characterID int32) []removal {
	e.t.Helper()
	rows, err := e.db.Query(e.ctx, `SELECT account_id, COALESCE(new_account_id, 0), character_id, reason, COALESCE(removed_by, 0)
		FROM character_removals WHERE character_id = $1 ORDER BY id`, characterID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []removal
	for rows.Next() {
		var r removal
		if err := rows.Scan(&r.account, &r.newAccount, &r.character, &r.reason, &r.by); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// snapshotTables are the rows a refused rule must leave as they were.
var snapshotTables = []struct{ table, columns, order string }{
	{"accounts", "id, name, status, active, superuser, created_at, updated_at, last_login_at, deactivated_at, deactivated_by", "id"},
	{"characters", "id, account_id, name, owner_hash, main, corporation_id, alliance_id, faction_id, created_at, last_login_at", "id"},
	{"character_owners", "character_id, owner_hash, account_id, character_name, first_seen, last_seen", "character_id, owner_hash, account_id"},
	{"character_removals", "id, account_id, new_account_id, character_id, reason, removed_at, removed_by", "id"},
	{"eve_tokens", "character_id, login, owner_hash, access_token_sealed, scopes, version, updated_at", "character_id, login"},
	{"account_roles", "account_id, role", "account_id, role"},
	{"notifications", "id, account_id, title_key, message_key", "id"},
}

// snapshot reads every row the rules write, as text.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, s := range snapshotTables {
		n := len(strings.Split(s.columns, ","))
		rows, err := e.db.Query(e.ctx, `SELECT `+s.columns+` FROM `+s.table+` ORDER BY `+s.order)
		if err != nil {
			e.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:\n", s.table)
		for rows.Next() {
			vals := make([]any, n)
			ptrs := make([]any, n)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				e.t.Fatal(err)
			}
			for _, v := range vals {
				if t, ok := v.(time.Time); ok {
					v = t.UTC().Format(time.RFC3339Nano)
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v|", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			e.t.Fatal(err)
		}
	}
	return b.String()
}

// unchanged fails the test when a refused rule changed any row.
func (e *env) unchanged(before string) {
	e.t.Helper()
	if after := e.snapshot(); after != before {
		e.t.Errorf("a refused rule changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// checkInvariants proves with SQL what must hold after any rule: every
// account with characters has exactly one main and is named after it,
// every character is on an existing account, every removal names existing
// accounts, and no stored token was given by anyone but the character's
// current owner.
func (e *env) checkInvariants() error {
	e.t.Helper()
	var problems []error
	rows, err := e.db.Query(e.ctx, `SELECT a.id, a.name, COUNT(c.id), SUM(CASE WHEN c.main THEN 1 ELSE 0 END),
			COALESCE(MAX(CASE WHEN c.main THEN c.name END), '')
		FROM accounts a JOIN characters c ON c.account_id = a.id GROUP BY a.id, a.name`)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var name, mainName string
		var n, mains int
		if err := rows.Scan(&id, &name, &n, &mains, &mainName); err != nil {
			rows.Close()
			e.t.Fatal(err)
		}
		if mains != 1 {
			problems = append(problems, fmt.Errorf("account %d has %d characters and %d mains", id, n, mains))
		}
		if mains == 1 && name != mainName {
			problems = append(problems, fmt.Errorf("account %d is named %q, its main %q", id, name, mainName))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	checks := []struct{ what, query string }{
		{"characters on no existing account", `SELECT count(*) FROM characters c LEFT JOIN accounts a ON a.id = c.account_id WHERE a.id IS NULL`},
		{"removals naming a missing account", `SELECT count(*) FROM character_removals r
			LEFT JOIN accounts a ON a.id = r.account_id
			LEFT JOIN accounts n ON n.id = r.new_account_id
			LEFT JOIN accounts b ON b.id = r.removed_by
			WHERE a.id IS NULL OR (r.new_account_id IS NOT NULL AND n.id IS NULL) OR (r.removed_by IS NOT NULL AND b.id IS NULL)`},
		{"removals moving a character to its own account", `SELECT count(*) FROM character_removals WHERE new_account_id = account_id`},
		{"tokens of characters Keepstar does not know", `SELECT count(*) FROM eve_tokens t LEFT JOIN characters c ON c.id = t.character_id WHERE c.id IS NULL`},
		{"tokens given by an earlier owner", `SELECT count(*) FROM eve_tokens t JOIN characters c ON c.id = t.character_id WHERE t.owner_hash <> c.owner_hash`},
		{"owners records naming a missing account", `SELECT count(*) FROM character_owners o LEFT JOIN accounts a ON a.id = o.account_id WHERE a.id IS NULL`},
	}
	for _, c := range checks {
		if n := e.count(c.query); n != 0 {
			problems = append(problems, fmt.Errorf("%d %s", n, c.what))
		}
	}
	return errors.Join(problems...)
}

// mustInvariants fails the test when an invariant does not hold.
func (e *env) mustInvariants() {
	e.t.Helper()
	if err := e.checkInvariants(); err != nil {
		e.t.Fatal(err)
	}
}
