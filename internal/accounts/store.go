package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// TokenStore is what the rules need of internal/eve/tokens: the token that
// proved a login is saved in the rule's transaction, and a character's
// tokens go with it when it leaves or changes hands.
type TokenStore interface {
	Save(ctx context.Context, q store.Querier, tok sso.Token, login string) (tokens.SaveResult, error)
	DeleteCharacter(ctx context.Context, q store.Querier, characterID int32, keep string) error
}

// Notifier tells members what happened to their characters, in the rule's
// transaction (internal/notifications).
type Notifier interface {
	Send(ctx context.Context, q store.Querier, accountID int64, n notifications.Notice) error
}

// Merger moves what another feature keeps of a merged account's loser to
// its winner (roles, notifications, later group memberships), in the merge's
// transaction.
type Merger func(ctx context.Context, q store.Querier, winner, loser int64) error

// Options configure Accounts.
type Options struct {
	Tokens   TokenStore
	Notifier Notifier
	// Roles gives the features' queries of roles held through their data,
	// which a viewer's rights include (nil: none).
	Roles *access.RoleSet
	// Mergers run on every merge, after the characters moved.
	Mergers []Merger
	Now     func() time.Time // nil: time.Now
	// FirstSuperuser makes the first account created superuser while no
	// account is: the demo's visitor can look at the administration pages.
	FirstSuperuser bool
	// Changed is told, after each change is committed, which accounts it
	// concerned, so that their access is computed again at once.
	Changed func(ctx context.Context, accountIDs []int64)
	// StatusHooks run in the transaction that changes an account's status
	// (groups: Neucore takes every group away then).
	StatusHooks []func(ctx context.Context, q store.Querier, accountID int64) error
	// Follower is told, in the transaction of every change of accounts
	// (characters, main, status, permissions, affiliations, names), of
	// the accounts it touched (feature.Hooks.AccountsChanged).
	Follower access.Follower
}

// Accounts applies the account rules and answers questions about accounts.
type Accounts struct {
	db   *store.DB
	opts Options
}

// New makes Accounts over db.
func New(db *store.DB, opts Options) *Accounts {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Accounts{db: db, opts: opts}
}

func (a *Accounts) now() time.Time { return a.opts.Now().UTC() }

// changed tells Options.Changed which accounts a committed change concerned.
func (a *Accounts) changed(ctx context.Context, ids ...int64) {
	if a.opts.Changed == nil {
		return
	}
	var list []int64
	for _, id := range ids {
		if id != 0 && !slices.Contains(list, id) {
			list = append(list, id)
		}
	}
	if len(list) > 0 {
		a.opts.Changed(ctx, list)
	}
}

var _ web.Viewers = (*Accounts)(nil)

// Viewer finds the member a session belongs to: the account the character
// is on now (which follows the character through a merge), as long as the
// character has the owner it logged in with and the account is active.
func (a *Accounts) Viewer(ctx context.Context, characterID int32, ownerHash string) (*web.Viewer, error) {
	v := &web.Viewer{CharacterID: characterID}
	var active bool
	err := a.db.QueryRow(ctx, `SELECT acc.id, acc.name, acc.active, acc.superuser, acc.language, acc.theme, COALESCE(m.id, 0), COALESCE(st.name, '')
		FROM characters c JOIN accounts acc ON acc.id = c.account_id
		LEFT JOIN characters m ON m.account_id = acc.id AND m.main
		LEFT JOIN states st ON st.id = acc.state_id
		WHERE c.id = $1 AND c.owner_hash = $2`, characterID, ownerHash).
		Scan(&v.AccountID, &v.Name, &active, &v.Superuser, &v.Language, &v.Theme, &v.MainID, &v.State)
	if errors.Is(err, store.ErrNoRows) || err == nil && !active {
		return nil, web.ErrNoViewer
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: viewer of character %d: %w", characterID, err)
	}
	if v.Roles, v.Permissions, err = access.RightsOf(ctx, a.db, v.AccountID, a.opts.Roles.FromData()...); err != nil {
		return nil, err
	}
	return v, nil
}

const accountColumns = `acc.id, acc.name, COALESCE(m.id, 0), acc.status, acc.active, acc.superuser, acc.language, acc.theme,
	acc.created_at, acc.last_login_at, acc.deactivated_at, acc.deactivated_by`

func scanAccount(row store.Row) (Account, error) {
	var acc Account
	var lastLogin, deactivatedAt *time.Time
	var deactivatedBy *int64
	err := row.Scan(&acc.ID, &acc.Name, &acc.MainID, &acc.Status, &acc.Active, &acc.Superuser, &acc.Language, &acc.Theme,
		&acc.CreatedAt, &lastLogin, &deactivatedAt, &deactivatedBy)
	if lastLogin != nil {
		acc.LastLoginAt = *lastLogin
	}
	if deactivatedAt != nil {
		acc.DeactivatedAt = *deactivatedAt
	}
	if deactivatedBy != nil {
		acc.DeactivatedBy = *deactivatedBy
	}
	return acc, err
}

// Get reads an account with its roles; ErrNotFound when there is none.
func (a *Accounts) Get(ctx context.Context, id int64) (Account, error) {
	acc, err := scanAccount(a.db.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts acc
		LEFT JOIN characters m ON m.account_id = acc.id AND m.main WHERE acc.id = $1`, id))
	if errors.Is(err, store.ErrNoRows) {
		return Account{}, fmt.Errorf("%w: account %d", ErrNotFound, id)
	}
	if err != nil {
		return Account{}, fmt.Errorf("accounts: get %d: %w", id, err)
	}
	if acc.Roles, err = access.RolesOf(ctx, a.db, id); err != nil {
		return Account{}, err
	}
	return acc, nil
}

const characterColumns = `c.id, c.account_id, c.name, c.owner_hash, c.main, c.corporation_id, co.name, co.ticker,
	c.alliance_id, al.name, al.ticker, c.faction_id, c.created_at, c.last_login_at`

const characterJoins = ` FROM characters c
	LEFT JOIN eve_corporations co ON co.id = c.corporation_id
	LEFT JOIN eve_alliances al ON al.id = c.alliance_id`

func scanCharacter(row store.Row) (Character, error) {
	var c Character
	var corp, alliance, faction *int64
	var corpName, corpTicker, allianceName, allianceTicker *string
	var lastLogin *time.Time
	err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.OwnerHash, &c.Main, &corp, &corpName, &corpTicker,
		&alliance, &allianceName, &allianceTicker, &faction, &c.CreatedAt, &lastLogin)
	c.CorporationID, c.AllianceID, c.FactionID = id32(corp), id32(alliance), id32(faction)
	c.CorporationName, c.CorporationTicker = deref(corpName), deref(corpTicker)
	c.AllianceName, c.AllianceTicker = deref(allianceName), deref(allianceTicker)
	if lastLogin != nil {
		c.LastLoginAt = *lastLogin
	}
	return c, err
}

func id32(p *int64) int32 {
	if p == nil {
		return 0
	}
	return int32(*p)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Characters lists an account's characters, main first, with their
// corporations and alliances: one query whatever their number.
func (a *Accounts) Characters(ctx context.Context, accountID int64) ([]Character, error) {
	return a.characters(ctx, a.db, `WHERE c.account_id = $1 ORDER BY c.main DESC, lower(c.name), c.id`, accountID)
}

// Character reads one character; ErrNotFound when Keepstar does not know it.
func (a *Accounts) Character(ctx context.Context, id int32) (Character, error) {
	cs, err := a.characters(ctx, a.db, `WHERE c.id = $1`, id)
	if err != nil {
		return Character{}, err
	}
	if len(cs) == 0 {
		return Character{}, fmt.Errorf("%w: character %d", ErrNotFound, id)
	}
	return cs[0], nil
}

// CharacterByName finds a character by its name, whatever the case.
func (a *Accounts) CharacterByName(ctx context.Context, name string) (Character, error) {
	cs, err := a.characters(ctx, a.db, `WHERE lower(c.name) = lower($1) ORDER BY c.id LIMIT 1`, strings.TrimSpace(name))
	if err != nil {
		return Character{}, err
	}
	if len(cs) == 0 {
		return Character{}, fmt.Errorf("%w: character %q", ErrNotFound, name)
	}
	return cs[0], nil
}

func (a *Accounts) characters(ctx context.Context, q store.Querier, where string, args ...any) ([]Character, error) {
	out, err := store.Collect(ctx, q, `SELECT `+characterColumns+characterJoins+` `+where, func(rows store.Rows, c *Character) (err error) {
		*c, err = scanCharacter(rows)
		return err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("accounts: characters: %w", err)
	}
	return out, nil
}

// Removals lists the characters that left the account or came to it from
// another, newest first.
func (a *Accounts) Removals(ctx context.Context, accountID int64) ([]Removal, error) {
	return a.removals(ctx, `WHERE r.account_id = $1 OR r.new_account_id = $1`, accountID)
}

// RemovalsOfCharacter lists what happened to one character, newest first.
func (a *Accounts) RemovalsOfCharacter(ctx context.Context, characterID int32) ([]Removal, error) {
	return a.removals(ctx, `WHERE r.character_id = $1`, characterID)
}

func (a *Accounts) removals(ctx context.Context, where string, arg any) ([]Removal, error) {
	out, err := store.Collect(ctx, a.db, `SELECT r.id, r.account_id, acc.name, r.new_account_id, na.name, r.character_id,
			r.character_name, r.reason, r.removed_at, r.removed_by, rb.name
		FROM character_removals r JOIN accounts acc ON acc.id = r.account_id
		LEFT JOIN accounts na ON na.id = r.new_account_id
		LEFT JOIN accounts rb ON rb.id = r.removed_by
		`+where+` ORDER BY r.removed_at DESC, r.id DESC LIMIT 500`, func(rows store.Rows, r *Removal) error {
		var newID, by *int64
		var newName, byName *string
		if err := rows.Scan(&r.ID, &r.AccountID, &r.AccountName, &newID, &newName, &r.CharacterID, &r.CharacterName,
			&r.Reason, &r.RemovedAt, &by, &byName); err != nil {
			return err
		}
		if newID != nil {
			r.NewAccountID = *newID
		}
		if by != nil {
			r.RemovedBy = *by
		}
		r.NewAccountName, r.RemovedByName = deref(newName), deref(byName)
		return nil
	}, arg)
	if err != nil {
		return nil, fmt.Errorf("accounts: removals: %w", err)
	}
	return out, nil
}

// Owners lists every owner seen of the account's characters, past and
// present, newest first.
func (a *Accounts) Owners(ctx context.Context, accountID int64) ([]Owner, error) {
	out, err := store.Collect(ctx, a.db, `SELECT character_id, character_name, owner_hash, account_id, first_seen, last_seen
		FROM character_owners WHERE account_id = $1 ORDER BY last_seen DESC, character_id LIMIT 500`, func(rows store.Rows, o *Owner) error {
		return rows.Scan(&o.CharacterID, &o.CharacterName, &o.OwnerHash, &o.AccountID, &o.FirstSeen, &o.LastSeen)
	}, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts: owners: %w", err)
	}
	return out, nil
}

// SearchResult is an account found by the user administration's search.
type SearchResult struct {
	AccountID  int64
	Name       string
	MainID     int32
	Active     bool
	Status     Status
	Characters int
	// Matched is the character whose name matched, when it is not the main.
	Matched string
}

// Search finds accounts by account id, character id or a part of a
// character's name (any character, alts included), at most limit of them;
// an empty search lists the newest accounts.
func (a *Accounts) Search(ctx context.Context, text string, limit int) ([]SearchResult, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return a.newest(ctx, limit)
	}
	pattern := "%" + escapeLike(strings.ToLower(text)) + "%"
	idArg := int64(-1)
	if n, err := strconv.ParseInt(strings.TrimPrefix(text, "#"), 10, 64); err == nil {
		idArg = n
	}
	out, err := store.Collect(ctx, a.db, `SELECT acc.id, acc.name, COALESCE(m.id, 0), acc.active, acc.status,
			(SELECT count(*) FROM characters x WHERE x.account_id = acc.id),
			COALESCE((SELECT min(f.name) FROM characters f WHERE f.account_id = acc.id AND lower(f.name) LIKE $1 ESCAPE '\'), '')
		FROM accounts acc LEFT JOIN characters m ON m.account_id = acc.id AND m.main
		WHERE acc.id = $2 OR acc.id = $3 OR EXISTS (SELECT 1 FROM characters f WHERE f.account_id = acc.id AND lower(f.name) LIKE $1 ESCAPE '\')
		ORDER BY lower(acc.name), acc.id LIMIT $4`, func(rows store.Rows, r *SearchResult) error {
		err := rows.Scan(&r.AccountID, &r.Name, &r.MainID, &r.Active, &r.Status, &r.Characters, &r.Matched)
		if r.Matched == r.Name {
			r.Matched = ""
		}
		return err
	}, pattern, idArg, characterAccount(ctx, a.db, idArg), limit)
	if err != nil {
		return nil, fmt.Errorf("accounts: search: %w", err)
	}
	return out, nil
}

// newest lists the accounts created last, for the search page before a
// search.
func (a *Accounts) newest(ctx context.Context, limit int) ([]SearchResult, error) {
	out, err := store.Collect(ctx, a.db, `SELECT acc.id, acc.name, COALESCE(m.id, 0), acc.active, acc.status,
			(SELECT count(*) FROM characters x WHERE x.account_id = acc.id)
		FROM accounts acc LEFT JOIN characters m ON m.account_id = acc.id AND m.main
		ORDER BY acc.id DESC LIMIT $1`, func(rows store.Rows, r *SearchResult) error {
		return rows.Scan(&r.AccountID, &r.Name, &r.MainID, &r.Active, &r.Status, &r.Characters)
	}, limit)
	if err != nil {
		return nil, fmt.Errorf("accounts: newest: %w", err)
	}
	return out, nil
}

// accessOf reads an account's state name, its own permissions and its
// effective ones.
func (a *Accounts) accessOf(ctx context.Context, id int64) (state string, direct, effective []string, err error) {
	if err = a.db.QueryRow(ctx, `SELECT COALESCE(s.name, '') FROM accounts acc LEFT JOIN states s ON s.id = acc.state_id WHERE acc.id = $1`, id).Scan(&state); err != nil {
		return "", nil, nil, fmt.Errorf("accounts: state of %d: %w", id, err)
	}
	if direct, err = store.Column[string](ctx, a.db, `SELECT permission FROM account_permissions WHERE account_id = $1 ORDER BY permission`, id); err != nil {
		return "", nil, nil, fmt.Errorf("accounts: permissions of %d: %w", id, err)
	}
	effective, err = access.PermissionsOf(ctx, a.db, id)
	return state, direct, effective, err
}

// characterAccount gives the account of a character id typed into the
// search, or -1.
func characterAccount(ctx context.Context, q store.Querier, id int64) int64 {
	var acc int64
	if id <= 0 || q.QueryRow(ctx, `SELECT account_id FROM characters WHERE id = $1`, id).Scan(&acc) != nil {
		return -1
	}
	return acc
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// forUpdate locks the rows a rule reads on PostgreSQL, where several
// processes write at once; SQLite's single writer already serialises the
// rules.
func forUpdate(q *store.Tx) string {
	if q.Dialect() == config.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// AccountsOf gives the accounts the characters are on, each once, sorted;
// characters Keepstar does not know are left out. It reads on q, so a
// caller learns the account of a character it is about to remove in the
// removal's transaction.
func (a *Accounts) AccountsOf(ctx context.Context, q store.Querier, characterIDs []int32) ([]int64, error) {
	var out []int64
	for list, args := range store.InChunks(characterIDs) {
		ids, err := store.Column[int64](ctx, q, `SELECT DISTINCT account_id FROM characters WHERE id IN (`+list+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("accounts: accounts of characters: %w", err)
		}
		out = append(out, ids...)
	}
	return slices.Compact(slices.Sorted(slices.Values(out))), nil
}
