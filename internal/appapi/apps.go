package appapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/keepstar/keepstar/internal/feature"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// Roles an app may have, as Neucore names them. Each opens a part of the
// Application API.
const (
	RoleApp         = "app"           // show itself
	RoleGroups      = "app-groups"    // groups of characters, corporations, alliances
	RoleChars       = "app-chars"     // characters and player accounts
	RoleTracking    = "app-tracking"  // corporation member tracking
	RoleESILogin    = "app-esi-login" // characters and token data of an EVE login
	RoleESIProxy    = "app-esi-proxy" // ESI requests on behalf of characters
	RoleESIToken    = "app-esi-token" // access tokens of characters
	maxNameLength   = 255
	secretByteCount = 32
)

// MaxName is the longest name of an app, in characters (Neucore's).
const MaxName = maxNameLength

// Roles lists the app roles in the order pages show them.
var Roles = []string{RoleApp, RoleGroups, RoleChars, RoleTracking, RoleESILogin, RoleESIProxy, RoleESIToken}

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("apps: no such app")
	ErrInvalid  = errors.New("apps: invalid")
)

// App is an application of the Application API.
type App struct {
	ID        int64
	Name      string
	Roles     []string // sorted
	Groups    []int64  // the groups it may see, sorted
	EveLogins []string // the EVE logins whose tokens it may use, sorted
	Managers  []int64  // accounts that may make its secret, sorted
	HasSecret bool
	// Version grows with every change of the app; the authenticator's
	// cache is keyed by it.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time

	secretHash string
}

// Has reports whether the app has a role.
func (a *App) Has(role string) bool { return slices.Contains(a.Roles, role) }

// MaySee reports whether the app may see a group.
func (a *App) MaySee(groupID int64) bool {
	_, found := slices.BinarySearch(a.Groups, groupID)
	return found
}

// MayUse reports whether the app may use the tokens of an EVE login.
func (a *App) MayUse(login string) bool {
	_, found := slices.BinarySearch(a.EveLogins, login)
	return found
}

// Store keeps the apps.
type Store struct {
	db  *store.DB
	now func() time.Time
	// mac hashes the apps' secrets; nil (macErr says why) when the Store
	// was made without a usable secret key, which only tests do.
	mac    *secrets.MAC
	macErr error
}

// NewStore makes a Store whose apps' secrets are hashed under a key
// derived from secretKey (the configured KEEPSTAR_SECRET_KEY); now nil
// means time.Now. Without a usable key the Store reads and changes apps
// but makes and checks no secret (ErrNoSecretKey).
func NewStore(db *store.DB, secretKey []byte, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, now: now}
	if s.mac, s.macErr = secrets.NewMAC(secretKey, SecretPurpose); s.macErr != nil {
		s.macErr = fmt.Errorf("%w: %w", ErrNoSecretKey, s.macErr)
	}
	return s
}

// Input is what an app admin sets of an app.
type Input struct {
	Name      string
	Roles     []string
	Groups    []int64
	EveLogins []string
	Managers  []int64
}

// Validate checks an app's name and roles, every problem at once, each
// about a field of the admin form: the form's check and the store's, which
// refuses with the same problems (ErrInvalid). The groups, EVE logins and
// managers an app names are the store's to check, in its transaction
// (writeRelations).
func (in Input) Validate() i18n.Problems {
	var ps i18n.Problems
	switch name := strings.TrimSpace(in.Name); {
	case name == "":
		ps.Add(fieldName, "appapi.admin.error.name_required")
	case utf8.RuneCountInString(name) > MaxName:
		ps.Add(fieldName, "appapi.admin.error.name_long", "Max", MaxName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		ps.Add(fieldName, "appapi.admin.error.name_control")
	}
	for _, r := range in.Roles {
		if !slices.Contains(Roles, r) {
			ps.Add(fieldRoles, "appapi.admin.error.role", "Role", r)
		}
	}
	return ps
}

func (in *Input) check() error {
	if err := in.Validate().Err(ErrInvalid); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Roles = slices.Compact(slices.Sorted(slices.Values(in.Roles)))
	in.Groups = slices.Compact(slices.Sorted(slices.Values(in.Groups)))
	in.EveLogins = slices.Compact(slices.Sorted(slices.Values(in.EveLogins)))
	in.Managers = slices.Compact(slices.Sorted(slices.Values(in.Managers)))
	return nil
}

// Create makes an app, without a secret: a manager makes one.
func (s *Store) Create(ctx context.Context, in Input) (App, error) {
	if err := in.check(); err != nil {
		return App{}, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO apps (name, secret_hash, version, created_at, updated_at) VALUES ($1, '', 1, $2, $2)`,
			in.Name, now); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT max(id) FROM apps`).Scan(&id); err != nil {
			return err
		}
		if err := writeRelations(ctx, tx, id, in); err != nil {
			return err
		}
		return syncManagers(ctx, tx, nil, in.Managers, now)
	})
	if err != nil {
		return App{}, fmt.Errorf("apps: create %q: %w", in.Name, err)
	}
	return s.Get(ctx, id)
}

// Update changes an app's name, roles, groups, EVE logins and managers.
func (s *Store) Update(ctx context.Context, id int64, in Input) (App, error) {
	if err := in.check(); err != nil {
		return App{}, err
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		now := s.now()
		n, err := tx.Exec(ctx, `UPDATE apps SET name = $2, version = version + 1, updated_at = $3 WHERE id = $1`, id, in.Name, now)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
		before, err := managersOf(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, table := range []string{"app_roles", "app_groups", "app_eve_logins", "app_managers"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE app_id = $1`, id); err != nil {
				return err
			}
		}
		if err := writeRelations(ctx, tx, id, in); err != nil {
			return err
		}
		return syncManagers(ctx, tx, before, in.Managers, now)
	})
	if err != nil {
		return App{}, fmt.Errorf("apps: update %d: %w", id, err)
	}
	return s.Get(ctx, id)
}

// writeRelations writes an app's roles, groups, logins and managers,
// refusing groups and logins that do not exist.
func writeRelations(ctx context.Context, tx *store.Tx, id int64, in Input) error {
	for _, r := range in.Roles {
		if _, err := tx.Exec(ctx, `INSERT INTO app_roles (app_id, role) VALUES ($1, $2)`, id, r); err != nil {
			return err
		}
	}
	for _, g := range in.Groups {
		var name, description string
		err := tx.QueryRow(ctx, `SELECT name, description FROM groups WHERE id = $1`, g).Scan(&name, &description)
		if errors.Is(err, store.ErrNoRows) {
			return fmt.Errorf("%w: no group has the id %d", ErrInvalid, g)
		}
		if err != nil {
			return err
		}
		if why := unfitForAPI(name, description); why != "" {
			return fmt.Errorf("%w: %s", ErrInvalid, why)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO app_groups (app_id, group_id) VALUES ($1, $2)`, id, g); err != nil {
			return err
		}
	}
	for _, l := range in.EveLogins {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM eve_logins WHERE name = $1`, l).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: no EVE login is called %q", ErrInvalid, l)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO app_eve_logins (app_id, login) VALUES ($1, $2)`, id, l); err != nil {
			return err
		}
	}
	for _, m := range in.Managers {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE id = $1`, m).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: no account has the id %d", ErrInvalid, m)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO app_managers (app_id, account_id) VALUES ($1, $2)`, id, m); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes an app; its secret stops working at once, and its
// managers who manage no other app lose the app-manager role.
func (s *Store) Delete(ctx context.Context, id int64) error {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := managersOf(ctx, tx, id)
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM apps WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
		return syncManagers(ctx, tx, before, nil, s.now())
	})
	if err != nil {
		return fmt.Errorf("apps: delete %d: %w", id, err)
	}
	return nil
}

// NewSecret makes a new secret for an app and gives it: the only time it is
// ever seen, since only its hash is stored. The old secret stops working
// at once, in every process.
func (s *Store) NewSecret(ctx context.Context, id int64) (string, error) {
	if s.mac == nil {
		return "", s.macErr
	}
	secret, hash, err := newSecret(s.mac, id)
	if err != nil {
		return "", err
	}
	n, err := s.db.Exec(ctx, `UPDATE apps SET secret_hash = $2, version = version + 1, updated_at = $3 WHERE id = $1`, id, hash, s.now())
	if err != nil {
		return "", fmt.Errorf("apps: new secret of %d: %w", id, err)
	}
	if n == 0 {
		return "", fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return secret, nil
}

// upgradeSecret replaces app id's legacy argon2id hash, which secret was
// just checked against, by the secret's HMAC. Only that same hash is
// replaced: a new secret made meanwhile stays. The version does not
// change, since the app and its secret do not.
func (s *Store) upgradeSecret(ctx context.Context, id int64, secret, argon2Hash string) error {
	if s.mac == nil {
		return s.macErr
	}
	if _, err := s.db.Exec(ctx, `UPDATE apps SET secret_hash = $3 WHERE id = $1 AND secret_hash = $2`,
		id, argon2Hash, hashSecret(s.mac, id, secret)); err != nil {
		return fmt.Errorf("apps: upgrade the secret hash of %d: %w", id, err)
	}
	return nil
}

// Get reads an app; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, id int64) (App, error) {
	apps, err := s.list(ctx, s.db, `WHERE id = $1`, id)
	if err != nil {
		return App{}, err
	}
	if len(apps) == 0 {
		return App{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return apps[0], nil
}

// List reads every app, by name.
func (s *Store) List(ctx context.Context) ([]App, error) { return s.list(ctx, s.db, ``) }

// Managed lists the apps an account manages, by name.
func (s *Store) Managed(ctx context.Context, accountID int64) ([]App, error) {
	return s.list(ctx, s.db, `WHERE id IN (SELECT app_id FROM app_managers WHERE account_id = $1)`, accountID)
}

func (s *Store) list(ctx context.Context, q store.Querier, where string, args ...any) ([]App, error) {
	out, err := store.Collect(ctx, q, `SELECT id, name, secret_hash, version, created_at, updated_at FROM apps `+where+` ORDER BY lower(name), id`,
		func(rows store.Rows, a *App) error {
			err := rows.Scan(&a.ID, &a.Name, &a.secretHash, &a.Version, &a.CreatedAt, &a.UpdatedAt)
			a.HasSecret = a.secretHash != ""
			return err
		}, args...)
	if err != nil {
		return nil, fmt.Errorf("apps: list: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	byID := make(map[int64]int, len(out))
	for i, a := range out {
		byID[a.ID] = i
	}
	// The relations of the apps listed, a query per relation.
	for _, rel := range []struct {
		query string
		add   func(a *App, v string, n int64)
	}{
		{`SELECT app_id, role, 0 FROM app_roles ORDER BY role`, func(a *App, v string, _ int64) { a.Roles = append(a.Roles, v) }},
		{`SELECT app_id, '', group_id FROM app_groups ORDER BY group_id`, func(a *App, _ string, n int64) { a.Groups = append(a.Groups, n) }},
		{`SELECT app_id, login, 0 FROM app_eve_logins ORDER BY login`, func(a *App, v string, _ int64) { a.EveLogins = append(a.EveLogins, v) }},
		{`SELECT app_id, '', account_id FROM app_managers ORDER BY account_id`, func(a *App, _ string, n int64) { a.Managers = append(a.Managers, n) }},
	} {
		err := store.Each(ctx, q, rel.query, func(rows store.Rows) error {
			var id, n int64
			var v string
			if err := rows.Scan(&id, &v, &n); err != nil {
				return err
			}
			if i, ok := byID[id]; ok {
				rel.add(&out[i], v, n)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("apps: list: %w", err)
		}
	}
	return out, nil
}

// Neucore's spec bounds a group's name and description (Group.name,
// Group.description), and clients generated from it with validation (the
// Python and TypeScript generators') refuse an answer that breaks them. A
// group apps see therefore keeps to them, while other groups are free.
var apiGroupName = regexp.MustCompile(`^[-._a-zA-Z0-9]{1,64}$`)

// maxAPIGroupDescription is Group.description's maxLength.
const maxAPIGroupDescription = 1024

// unfitForAPI says why apps cannot see a group of that name and
// description, or nothing when they can.
func unfitForAPI(name, description string) string {
	if !apiGroupName.MatchString(name) {
		return fmt.Sprintf("apps cannot see the group %q: the Application API (as Neucore's) allows a group name of "+
			"letters a-z and A-Z, digits, '-', '.' and '_' only, 64 at most; rename the group first", name)
	}
	if utf8.RuneCountInString(description) > maxAPIGroupDescription {
		return fmt.Sprintf("apps cannot see the group %q: its description is longer than the %d characters the "+
			"Application API allows", name, maxAPIGroupDescription)
	}
	return ""
}

// CheckGroup is the groups.Check of the Application API: a group that apps
// see keeps a name and a description its clients can read.
func (s *Store) CheckGroup(ctx context.Context, q store.Querier, in feature.GroupChange) error {
	id := in.ID
	if id == 0 {
		return nil
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM app_groups WHERE group_id = $1`, id).Scan(&n); err != nil {
		return fmt.Errorf("apps: check group %d: %w", id, err)
	}
	if why := unfitForAPI(in.Name, in.Description); n > 0 && why != "" {
		return fmt.Errorf("%w: %s", groups.ErrInvalid, why)
	}
	return nil
}
