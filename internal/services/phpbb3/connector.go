package phpbb3

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
	"github.com/keepstar/keepstar/internal/store"
)

// phpBB's constants (includes/constants.php) Keepstar writes or reads.
const (
	userNormal   = 0 // USER_NORMAL
	userInactive = 1 // USER_INACTIVE
	userIgnore   = 2 // USER_IGNORE: bots and Anonymous
	userFounder  = 3 // USER_FOUNDER

	inactiveManual = 3 // INACTIVE_MANUAL: "deactivated by an administrator"

	groupClosed  = 1 // GROUP_CLOSED: the type of the groups Keepstar makes
	groupSpecial = 3 // GROUP_SPECIAL: phpBB's own groups, never managed

	remoteAvatar = "avatar.driver.remote" // phpBB 3.1+'s remote avatar driver
	avatarSize   = 64
)

// errNameTaken is a forum user of the wanted name that Keepstar must not
// take over (a founder, a bot, or one another member here holds).
var errNameTaken = errors.New("phpbb3: the forum has a user of that name that Keepstar may not take over")

// errGroupMissing is a mapped group the forum lacks, with the instance
// not allowed to make it.
var errGroupMissing = errors.New("phpbb3: the forum has no group")

// connector is one phpBB forum.
type connector struct {
	inst   int64
	set    forumdb.Settings
	db     *forumdb.DB
	q      queries
	keep   *store.DB
	logger *slog.Logger
	now    func() time.Time
}

var (
	_ services.Connector       = (*connector)(nil)
	_ services.PasswordManager = (*connector)(nil)
	_ services.Observer        = (*connector)(nil)
	_ services.GroupLister     = (*connector)(nil)
	_ services.Checker         = (*connector)(nil)
)

func open(inst services.Instance, env services.Env) (*connector, error) {
	set, err := forumdb.Read(inst.Settings, DefaultPrefix)
	if err != nil {
		return nil, fmt.Errorf("phpbb3: %w", err)
	}
	if set.DefaultGroup == "" {
		set.DefaultGroup = DefaultGroup
	}
	db, err := forumdb.Open(set)
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &connector{inst: inst.ID, set: set, db: db, q: newQueries(set.Prefix), keep: env.DB,
		logger: logger.With("service", inst.Slug), now: now}, nil
}

// Close closes the forum's database.
func (c *connector) Close() error { return c.db.Close() }

// Statements gives the statements sent to the forum's database so far.
func (c *connector) Statements() int64 { return c.db.Statements() }

// userID reads phpBB's user id of a service account.
func userID(acct services.Account) (int64, error) {
	id, err := strconv.ParseInt(acct.ExternalID, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("phpbb3: %q is not a phpBB user id", acct.ExternalID)
	}
	return id, nil
}

// Create makes the member's forum user, or takes back the one Keepstar
// made before and disabled (found by username_clean): active again, the
// password new, its sessions ended, its groups those wanted.
func (c *connector) Create(ctx context.Context, want services.Want, password string) (services.Account, error) {
	name := Sanitize(want.Name)
	if name == "" {
		return services.Account{}, fmt.Errorf("phpbb3: the formatted name is empty")
	}
	hash, err := Hash(password)
	if err != nil {
		return services.Account{}, err
	}
	clean := Clean(name)
	var id int64
	var missing []string
	err = c.db.InTx(ctx, func(tx *forumdb.Tx) error {
		id = 0
		var typ int
		err := tx.QueryRow(ctx, c.q.userByClean, clean).Scan(&id, &typ)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			id, err = c.insertUser(ctx, tx, name, clean, hash)
			if err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := c.takeBack(ctx, tx, id, typ, hash); err != nil {
				return err
			}
		}
		missing, err = c.reconcile(ctx, tx, id, want)
		return err
	})
	if err != nil {
		return services.Account{}, err
	}
	if len(missing) > 0 {
		// The user exists and the framework records it; the sync that
		// follows reports the missing groups.
		c.logger.WarnContext(ctx, "phpbb3: mapped groups missing on the forum", "groups", missing)
	}
	c.logger.InfoContext(ctx, "phpbb3: user ready", "user", id)
	groups := slices.DeleteFunc(slices.Clone(want.Groups), func(g string) bool { return slices.Contains(missing, g) })
	return services.Account{ExternalID: strconv.FormatInt(id, 10), ExternalName: name, Name: want.Name, Groups: groups}, nil
}

// boardDefaults are the board's defaults phpBB's own user_add gives a new
// user, read from its config table.
type boardDefaults struct {
	lang, style, timezone, dateformat string
}

func (c *connector) defaults(ctx context.Context, tx *forumdb.Tx) (boardDefaults, error) {
	d := boardDefaults{lang: "en", style: "1", dateformat: "D M d, Y g:i a"}
	rows, err := tx.Query(ctx, c.q.config)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return d, err
		}
		switch k {
		case "default_lang":
			d.lang = v
		case "default_style":
			d.style = v
		case "board_timezone":
			d.timezone = v
		case "default_dateformat":
			d.dateformat = v
		}
	}
	return d, rows.Err()
}

// insertUser makes the user as phpBB's user_add does for a normal,
// active user: the primary group and its user_group row, the board's
// language, style, time zone and date format, a form salt, the TEXT
// columns that have no default, no e-mail (Keepstar has none to give;
// the member may add one in the UCP).
func (c *connector) insertUser(ctx context.Context, tx *forumdb.Tx, name, clean, hash string) (int64, error) {
	d, err := c.defaults(ctx, tx)
	if err != nil {
		return 0, err
	}
	var group int64
	if err := tx.QueryRow(ctx, c.q.groupByName, c.set.DefaultGroup).Scan(&group); errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w %q (the instance's default group)", errGroupMissing, c.set.DefaultGroup)
	} else if err != nil {
		return 0, err
	}
	now := c.now().Unix()
	id, err := tx.Insert(ctx, c.q.insertUser, userNormal, group, name, clean, hash, now, now, d.lang, d.style, d.timezone,
		d.dateformat, rand.Text()[:16])
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, c.q.addMembership, group, id); err != nil {
		return 0, err
	}
	return id, nil
}

// takeBack makes an existing user of the wanted name the member's: one
// Keepstar disabled (the member's own, after losing and regaining
// access), or one made before Keepstar (Alliance Auth's, by the same
// character name). Founders and bots are never taken, nor a user another
// member here holds.
func (c *connector) takeBack(ctx context.Context, tx *forumdb.Tx, id int64, typ int, hash string) error {
	if typ == userFounder || typ == userIgnore {
		return errNameTaken
	}
	var other int64
	err := c.keep.QueryRow(ctx, `SELECT account_id FROM service_accounts WHERE instance_id = $1 AND external_id = $2`,
		c.inst, strconv.FormatInt(id, 10)).Scan(&other)
	if err == nil {
		return fmt.Errorf("%w: %w", errNameTaken, services.ErrTaken)
	}
	if !errors.Is(err, store.ErrNoRows) {
		return fmt.Errorf("phpbb3: look up the forum user's link: %w", err)
	}
	if _, err := tx.Exec(ctx, c.q.enable, userNormal, hash, c.now().Unix(), id); err != nil {
		return err
	}
	if err := c.endSessions(ctx, tx, id); err != nil {
		return err
	}
	// The primary group's row (Alliance Auth never wrote it).
	var has int
	err = tx.QueryRow(ctx, c.q.hasPrimaryMembership, id).Scan(&has)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.Exec(ctx, c.q.addPrimaryMembership, id)
	}
	c.logger.InfoContext(ctx, "phpbb3: existing forum user taken back", "user", id)
	return err
}

// endSessions ends the user's sessions and "remember me" keys.
func (c *connector) endSessions(ctx context.Context, tx *forumdb.Tx, id int64) error {
	if _, err := tx.Exec(ctx, c.q.deleteSessions, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, c.q.deleteKeys, id)
	return err
}

// SetPassword sets the user's password.
func (c *connector) SetPassword(ctx context.Context, acct services.Account, password string) error {
	id, err := userID(acct)
	if err != nil {
		return err
	}
	hash, err := Hash(password)
	if err != nil {
		return err
	}
	return c.db.InTx(ctx, func(tx *forumdb.Tx) error {
		n, err := tx.Exec(ctx, c.q.setPassword, hash, c.now().Unix(), id)
		if err != nil {
			return err
		}
		if n == 0 {
			// Nothing changed: the same hash is impossible (a new salt
			// each time), so the user is gone.
			return services.ErrGone
		}
		return nil
	})
}

// Apply makes the user's groups (and avatar) those wanted. The name is
// the one made at creation: renaming a phpBB user touches the poster names
// phpBB copies into forums, topics and posts, which Keepstar leaves to
// phpBB's own ACP.
func (c *connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	id, err := userID(acct)
	if err != nil {
		return acct, err
	}
	missing, err := c.reconcile(ctx, nil, id, want)
	if err != nil {
		return acct, forumdb.Classify(err)
	}
	if err := missingError(missing); err != nil {
		return acct, err
	}
	next := acct
	next.Name, next.Groups = want.Name, want.Groups
	return next, nil
}

// Remove disables the user without deleting it (its posts stay theirs):
// inactive as an admin's deactivation, the password unusable, pending
// password resets dropped, sessions and "remember me" keys ended, the
// groups Keepstar gave taken away.
func (c *connector) Remove(ctx context.Context, acct services.Account) error {
	id, err := userID(acct)
	if err != nil {
		return err
	}
	return c.db.InTx(ctx, func(tx *forumdb.Tx) error {
		var typ int
		err := tx.QueryRow(ctx, c.q.lockUser, id).Scan(&typ)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if typ == userFounder {
			// Made a founder on the forum since: phpBB's ACP cannot
			// deactivate founders either; an admin of the forum decides.
			c.logger.WarnContext(ctx, "phpbb3: a founder lost access in Keepstar and is left active", "user", id)
			return nil
		}
		if _, err := tx.Exec(ctx, c.q.disable, userInactive, inactiveManual, c.now().Unix(), unusableHash(), id); err != nil {
			return err
		}
		if err := c.endSessions(ctx, tx, id); err != nil {
			return err
		}
		if len(acct.Groups) > 0 {
			args := append([]any{id, groupSpecial}, forumdb.Args(acct.Groups)...)
			// A primary group among them gives way to the default group,
			// as phpBB's group_user_del does.
			if _, err := tx.Exec(ctx, c.q.resetPrimary(len(acct.Groups)), append([]any{c.set.DefaultGroup}, args...)...); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, c.q.removeNamedMemberships(len(acct.Groups)), args...); err != nil {
				return err
			}
		}
		return nil
	})
}
