package smf

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
	"github.com/keepstar/keepstar/internal/store"
)

// SMF's groups that are never managed: the Administrator group (1) and
// the Moderator group (3), which SMF gives board moderators itself; post
// count groups (min_posts -1 marks the others) are SMF's too.
const (
	groupAdmin     = 1
	groupModerator = 3
)

// avatarSize is the EVE portrait's size asked for.
const avatarSize = 64

// errNameTaken is a member of the wanted login name that Keepstar must
// not take over (an administrator, or one another member here holds).
var errNameTaken = errors.New("smf: the forum has a member of that name that Keepstar may not take over")

// errGroupMissing is a mapped group the forum lacks, with the instance
// not allowed to make it.
var errGroupMissing = errors.New("smf: the forum has no group")

// connector is one SMF forum.
type connector struct {
	inst   int64
	set    forumdb.Settings
	db     *forumdb.DB
	prefix string
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
		return nil, fmt.Errorf("smf: %w", err)
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
	return &connector{inst: inst.ID, set: set, db: db, prefix: set.Prefix, keep: env.DB, logger: logger.With("service", inst.Slug), now: now}, nil
}

// Close closes the forum's database.
func (c *connector) Close() error { return c.db.Close() }

// Statements gives the statements sent to the forum's database so far.
func (c *connector) Statements() int64 { return c.db.Statements() }

// t gives a table's name with the instance's prefix (checked to be
// [A-Za-z0-9_]).
func (c *connector) t(name string) string { return c.prefix + name }

func memberID(acct services.Account) (int64, error) {
	id, err := strconv.ParseInt(acct.ExternalID, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("smf: %q is not an SMF member id", acct.ExternalID)
	}
	return id, nil
}

// Create makes the member, or takes back the one of the same login name
// (Keepstar's, disabled before; or one made before Keepstar), then gives
// it the wanted groups, display name and avatar.
func (c *connector) Create(ctx context.Context, want services.Want, password string) (services.Account, error) {
	login := MemberName(want.Name)
	if login == "" {
		return services.Account{}, fmt.Errorf("smf: the formatted name is empty")
	}
	hash, err := Hash(login, password)
	if err != nil {
		return services.Account{}, err
	}
	var id int64
	var missing []string
	err = c.db.InTx(ctx, func(tx *forumdb.Tx) error {
		id = 0
		var group int
		var extra string
		err := tx.QueryRow(ctx, `SELECT id_member, id_group, additional_groups FROM `+c.t("members")+` WHERE member_name = ? FOR UPDATE`,
			login).Scan(&id, &group, &extra)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if id, err = c.insert(ctx, tx, login, hash); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if group == groupAdmin || slices.Contains(parseIDs(extra), groupAdmin) {
				return errNameTaken
			}
			if err := c.checkUnlinked(ctx, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE `+c.t("members")+` SET passwd = ?, password_salt = ?, passwd_flood = '' WHERE id_member = ?`,
				hash, newSalt(), id); err != nil {
				return err
			}
			c.logger.InfoContext(ctx, "smf: existing forum member taken back", "member", id)
		}
		missing, err = c.reconcile(ctx, tx, id, want)
		return err
	})
	if err != nil {
		return services.Account{}, err
	}
	groups := slices.DeleteFunc(slices.Clone(want.Groups), func(g string) bool { return slices.Contains(missing, g) })
	return services.Account{ExternalID: strconv.FormatInt(id, 10), ExternalName: login, Name: want.Name, Groups: groups}, nil
}

// checkUnlinked refuses a member another account here holds.
func (c *connector) checkUnlinked(ctx context.Context, id int64) error {
	var other int64
	err := c.keep.QueryRow(ctx, `SELECT account_id FROM service_accounts WHERE instance_id = $1 AND external_id = $2`,
		c.inst, strconv.FormatInt(id, 10)).Scan(&other)
	if err == nil {
		return fmt.Errorf("%w: %w", errNameTaken, services.ErrTaken)
	}
	if !errors.Is(err, store.ErrNoRows) {
		return fmt.Errorf("smf: look up the forum member's link: %w", err)
	}
	return nil
}

// insert makes the member with every NOT NULL column without a default
// given (buddy_list, signature, ignore_boards: TEXT), activated, in the
// instance's primary group (0, SMF's "Regular Members", by default), no
// e-mail (the member may add one in their profile).
func (c *connector) insert(ctx context.Context, tx *forumdb.Tx, login, hash string) (int64, error) {
	group := 0
	if c.set.DefaultGroup != "" {
		err := tx.QueryRow(ctx, `SELECT id_group FROM `+c.t("membergroups")+` WHERE group_name = ? AND min_posts = -1 ORDER BY id_group LIMIT 1`,
			escape(c.set.DefaultGroup)).Scan(&group)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("%w %q (the instance's default group)", errGroupMissing, c.set.DefaultGroup)
		}
		if err != nil {
			return 0, err
		}
	}
	return tx.Insert(ctx, `INSERT INTO `+c.t("members")+` (member_name, real_name, passwd, password_salt, email_address, date_registered,
		id_group, is_activated, buddy_list, signature, ignore_boards) VALUES (?, ?, ?, ?, '', ?, ?, 1, '', '', '')`,
		login, escape(login), hash, newSalt(), c.now().Unix(), group)
}

// SetPassword sets the member's password (its hash binds the login name).
func (c *connector) SetPassword(ctx context.Context, acct services.Account, password string) error {
	id, err := memberID(acct)
	if err != nil {
		return err
	}
	return c.db.InTx(ctx, func(tx *forumdb.Tx) error {
		var login string
		err := tx.QueryRow(ctx, `SELECT member_name FROM `+c.t("members")+` WHERE id_member = ? FOR UPDATE`, id).Scan(&login)
		if errors.Is(err, sql.ErrNoRows) {
			return services.ErrGone
		}
		if err != nil {
			return err
		}
		hash, err := Hash(login, password)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE `+c.t("members")+` SET passwd = ?, passwd_flood = '' WHERE id_member = ?`, hash, id)
		return err
	})
}

// Apply makes the member's groups, display name and avatar those wanted.
func (c *connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	id, err := memberID(acct)
	if err != nil {
		return acct, err
	}
	var missing []string
	err = c.db.InTx(ctx, func(tx *forumdb.Tx) error {
		var err error
		missing, err = c.reconcile(ctx, tx, id, want)
		return err
	})
	if err != nil {
		return acct, err
	}
	if len(missing) > 0 {
		return acct, fmt.Errorf("%w: %s (make it in SMF, let the instance make missing groups, or map the Keepstar group to another name)",
			errGroupMissing, strings.Join(missing, ", "))
	}
	next := acct
	next.Name, next.Groups = want.Name, want.Groups
	return next, nil
}

// Remove disables the member without deleting it: the password unusable
// and a new salt (every login cookie and session ends), its online row
// gone, Keepstar's groups taken out of additional_groups.
func (c *connector) Remove(ctx context.Context, acct services.Account) error {
	id, err := memberID(acct)
	if err != nil {
		return err
	}
	return c.db.InTx(ctx, func(tx *forumdb.Tx) error {
		var extra string
		err := tx.QueryRow(ctx, `SELECT additional_groups FROM `+c.t("members")+` WHERE id_member = ? FOR UPDATE`, id).Scan(&extra)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ids := parseIDs(extra)
		if len(acct.Groups) > 0 && len(ids) > 0 {
			gs, err := c.groups(ctx, tx, ids, acct.Groups)
			if err != nil {
				return err
			}
			ids = slices.DeleteFunc(ids, func(gid int) bool {
				g, ok := gs.byID[gid]
				return ok && g.managed() && slices.Contains(acct.Groups, g.name)
			})
		}
		if _, err := tx.Exec(ctx, `UPDATE `+c.t("members")+` SET passwd = ?, password_salt = ?, additional_groups = ? WHERE id_member = ?`,
			unusableHash(), newSalt(), formatIDs(ids), id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM `+c.t("log_online")+` WHERE id_member = ?`, id)
		return err
	})
}
