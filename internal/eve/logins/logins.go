package logins

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
)

// The built-in logins.
const (
	Default  = "core.default"
	NoScopes = "core.no-scopes"
	Tracking = "core.tracking"
	Mail     = "core.mail"
)

// reservedPrefix starts the built-in logins' names, and no other's.
const reservedPrefix = "core."

// BuiltIn lists the built-in logins.
var BuiltIn = []string{Default, NoScopes, Tracking, Mail}

// Login is one EVE login.
type Login struct {
	Name        string
	Description string
	Scopes      []string
	// Roles are in-game corporation roles the character must all hold.
	Roles     []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsBuiltIn reports whether the login is one of Keepstar's own.
func (l Login) IsBuiltIn() bool { return slices.Contains(BuiltIn, l.Name) }

// installed are the descriptions the built-in logins were installed with,
// in English: what the Application API gives apps for a built-in login
// whose stored description is empty (APIDescription), as Neucore's API
// speaks no language but English.
var installed = map[string]string{
	Default:  "The account login: logging in and adding characters.",
	NoScopes: "Guest login that asks for no scopes; its token is kept as the core.default token unless a valid one exists.",
	Tracking: "Director tokens for corporation member tracking.",
	Mail:     "The character that sends EVE mail for Keepstar.",
}

// APIDescription is the description apps read: the stored one, else a
// built-in login's own, in English.
func APIDescription(name, stored string) string {
	if stored == "" {
		return installed[name]
	}
	return stored
}

// LabelID is the message id of a built-in login's name as members read it
// ("Account login"), shown beside its name, which stays its technical id;
// empty for an administrator's login, whose name is all it has.
func (l Login) LabelID() string {
	if !l.IsBuiltIn() {
		return ""
	}
	return "logins.builtin." + strings.TrimPrefix(l.Name, reservedPrefix) + ".label"
}

// DescriptionID is the message id of a built-in login's description, in
// the reader's language, while its stored description is empty (as
// Keepstar installs it); empty when the login has a description of an
// administrator's, shown as written.
func (l Login) DescriptionID() string {
	if !l.IsBuiltIn() || l.Description != "" {
		return ""
	}
	return "logins.builtin." + strings.TrimPrefix(l.Name, reservedPrefix) + ".help"
}

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("logins: no such EVE login")
	ErrExists   = errors.New("logins: an EVE login of that name exists")
	ErrInvalid  = errors.New("logins: invalid EVE login")
	ErrBuiltIn  = errors.New("logins: built-in EVE logins cannot be deleted, and only core.default's scopes can be changed")
)

// Limits of a login's fields, as Neucore has them.
const (
	MaxName        = 20
	MaxDescription = 1024
	MaxScopes      = 8192
)

var (
	validName  = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	validScope = regexp.MustCompile(`^[!#-\[\]-~]+$`) // RFC 6749 scope-token: printable ASCII but space, " and \
)

// RolesScope is the scope that reading a character's roles needs; a login
// with roles must ask for it.
const RolesScope = "esi-characters.read_corporation_roles.v1"

// Input is a login as a form or an API body gives it.
type Input struct {
	Name        string
	Description string
	Scopes      string // space or newline separated
	Roles       []string
}

// Check validates an input, reporting every problem at once: an
// *i18n.InvalidError wrapping ErrInvalid, each problem about a field of
// the form (name, description, scopes, roles). Scopes must be ESI's
// (Scopes).
func (in Input) Check() (Login, error) {
	l, ps := in.check(nil)
	return l, ps.Err(ErrInvalid)
}

// check is Check that also takes the scopes in kept: those a login has
// already, which a newer ESI specification may have dropped. Saving its
// description must not fail for them; the form shows them apart, to be
// unticked.
func (in Input) check(kept []string) (Login, i18n.Problems) {
	l := Login{Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description)}
	var ps i18n.Problems
	switch {
	case l.Name == "":
		ps.Add("name", "logins.error.name_required")
	case utf8.RuneCountInString(l.Name) > MaxName:
		ps.Add("name", "logins.error.name_long", "Max", MaxName)
	case !validName.MatchString(l.Name):
		ps.Add("name", "logins.error.name_characters")
	}
	if utf8.RuneCountInString(l.Description) > MaxDescription {
		ps.Add("description", "logins.error.description_long", "Max", MaxDescription)
	}
	if len(in.Scopes) > MaxScopes {
		ps.Add("scopes", "logins.error.scopes_long", "Max", MaxScopes)
	}
	for _, sc := range strings.Fields(in.Scopes) {
		if !validScope.MatchString(sc) || !KnownScope(sc) && !slices.Contains(kept, sc) {
			ps.Add("scopes", "logins.error.scope_unknown", "Scope", sc)
			continue
		}
		if !slices.Contains(l.Scopes, sc) {
			l.Scopes = append(l.Scopes, sc)
		}
	}
	for _, r := range in.Roles {
		if !slices.Contains(InGameRoles, r) {
			ps.Add("roles", "logins.error.role_unknown", "Role", r)
			continue
		}
		if !slices.Contains(l.Roles, r) {
			l.Roles = append(l.Roles, r)
		}
	}
	if len(l.Roles) > 0 && !slices.Contains(l.Scopes, RolesScope) {
		// About the roles: ticking them is what asks for the scope, and
		// the list of scopes is long.
		ps.Add("roles", "logins.error.roles_scope", "Scope", RolesScope)
	}
	slices.Sort(l.Roles)
	return l, ps
}

// Store keeps the logins.
type Store struct {
	db  *store.DB
	now func() time.Time
	// offered are the built-in logins beyond core.default and
	// core.no-scopes that a feature declared it uses (Offer).
	offered map[string]bool
}

// NewStore makes a Store; now nil means time.Now.
func NewStore(db *store.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now, offered: map[string]bool{}}
}

// Offer makes built-in logins that a feature uses offered (a feature's
// Logins): core.tracking once member tracking exists, core.mail once
// Keepstar sends mail. Called while the features are built, before any
// request.
func (s *Store) Offer(names ...string) {
	for _, n := range names {
		if !slices.Contains(BuiltIn, n) {
			panic("logins: a feature declares " + n + ", which is no built-in login")
		}
		s.offered[n] = true
	}
}

// Offered reports whether the login is shown and may be given tokens: an
// administrator's login, core.default and core.no-scopes always; another
// built-in login once a feature uses it, so that members are never asked
// for a token nothing reads.
func (s *Store) Offered(name string) bool {
	return name == Default || name == NoScopes || !slices.Contains(BuiltIn, name) || s.offered[name]
}

// List gives every login, built-in first, then by name.
func (s *Store) List(ctx context.Context) ([]Login, error) {
	out, err := store.Collect(ctx, s.db, `SELECT name, description, scopes, eve_roles, created_at, updated_at FROM eve_logins ORDER BY name`,
		func(rows store.Rows, l *Login) (err error) {
			*l, err = scan(rows)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("logins: list: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Login) int {
		ai, bi := slices.Index(BuiltIn, a.Name), slices.Index(BuiltIn, b.Name)
		switch {
		case ai >= 0 && bi >= 0:
			return ai - bi
		case ai >= 0:
			return -1
		case bi >= 0:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Get reads a login; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, name string) (Login, error) {
	l, err := scan(s.db.QueryRow(ctx, `SELECT name, description, scopes, eve_roles, created_at, updated_at FROM eve_logins WHERE name = $1`, name))
	if errors.Is(err, store.ErrNoRows) {
		return Login{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return Login{}, fmt.Errorf("logins: get %q: %w", name, err)
	}
	return l, nil
}

func scan(row store.Row) (Login, error) {
	var l Login
	var scopes, roles string
	err := row.Scan(&l.Name, &l.Description, &scopes, &roles, &l.CreatedAt, &l.UpdatedAt)
	l.Scopes, l.Roles = strings.Fields(scopes), strings.Fields(roles)
	return l, err
}

// Create adds a login of an administrator's.
func (s *Store) Create(ctx context.Context, in Input) (Login, error) {
	l, ps := in.check(nil)
	if strings.HasPrefix(l.Name, reservedPrefix) && !slices.ContainsFunc(ps, func(p i18n.Problem) bool { return p.Field == "name" }) {
		ps.Add("name", "logins.error.name_reserved", "Prefix", reservedPrefix)
	}
	if err := ps.Err(ErrInvalid); err != nil {
		return Login{}, err
	}
	now := s.now()
	// id is the number the Application API gives the login (Neucore's
	// EveLogin.id): the next one; the single writer (SQLite) or the unique
	// index (PostgreSQL) keeps two at once from sharing it.
	n, err := s.db.Exec(ctx, `INSERT INTO eve_logins (id, name, description, scopes, eve_roles, created_at, updated_at)
		VALUES ((SELECT COALESCE(max(id), 0) + 1 FROM eve_logins), $1, $2, $3, $4, $5, $5) ON CONFLICT (name) DO NOTHING`,
		l.Name, l.Description, strings.Join(l.Scopes, " "), strings.Join(l.Roles, " "), now)
	if err != nil {
		return Login{}, fmt.Errorf("logins: create %q: %w", l.Name, err)
	}
	if n == 0 {
		return Login{}, fmt.Errorf("%w: %q", ErrExists, l.Name)
	}
	return s.Get(ctx, l.Name)
}

// Update changes a login's description, scopes and roles (the name stays).
// Of the built-in logins only the description changes, and core.default's
// scopes.
func (s *Store) Update(ctx context.Context, name string, in Input) (Login, error) {
	old, err := s.Get(ctx, name)
	if err != nil {
		return Login{}, err
	}
	in.Name = name
	l, ps := in.check(old.Scopes)
	if err := ps.Err(ErrInvalid); err != nil {
		return Login{}, err
	}
	if old.IsBuiltIn() {
		scopesChanged := !slices.Equal(sorted(l.Scopes), sorted(old.Scopes))
		if !slices.Equal(l.Roles, old.Roles) || scopesChanged && name != Default {
			return Login{}, ErrBuiltIn
		}
	}
	if _, err := s.db.Exec(ctx, `UPDATE eve_logins SET description = $2, scopes = $3, eve_roles = $4, updated_at = $5 WHERE name = $1`,
		name, l.Description, strings.Join(l.Scopes, " "), strings.Join(l.Roles, " "), s.now()); err != nil {
		return Login{}, fmt.Errorf("logins: update %q: %w", name, err)
	}
	return s.Get(ctx, name)
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// Delete removes an administrator's login and every token given for it.
func (s *Store) Delete(ctx context.Context, name string) error {
	if slices.Contains(BuiltIn, name) {
		return ErrBuiltIn
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM eve_tokens WHERE login = $1`, name); err != nil {
			return fmt.Errorf("logins: delete %q: %w", name, err)
		}
		n, err := tx.Exec(ctx, `DELETE FROM eve_logins WHERE name = $1`, name)
		if err != nil {
			return fmt.Errorf("logins: delete %q: %w", name, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		return nil
	})
}

// Impact is what deleting a login does, counted for its confirmation: its
// tokens are deleted, those of every member who gave one.
type Impact struct {
	Tokens, Accounts int
}

// DeletionImpact counts what deleting login name would do.
func (s *Store) DeletionImpact(ctx context.Context, name string) (Impact, error) {
	var im Impact
	err := s.db.QueryRow(ctx, `SELECT count(*), count(DISTINCT c.account_id) FROM eve_tokens t
		LEFT JOIN characters c ON c.id = t.character_id WHERE t.login = $1`, name).Scan(&im.Tokens, &im.Accounts)
	if err != nil {
		return im, fmt.Errorf("logins: impact of deleting %q: %w", name, err)
	}
	return im, nil
}
