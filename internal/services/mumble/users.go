package mumble

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// errNoUser: no user of that name or id on the instance.
var errNoUser = errors.New("mumble: no such user")

// errNameTaken: another account's user has that login name.
var errNameTaken = errors.New("mumble: the login name is taken")

// user is one row of mumble_users: what a login is answered with.
type user struct {
	ID          int
	Username    string
	DisplayName string
	Groups      []string
	hash, salt  string
	// regroup is the hash of a one-time password Keepstar logs the user
	// in with, through murmurd's verifyPassword, to give its live
	// sessions new groups (regroup in connector.go); good until
	// regroupUntil.
	regroup      string
	regroupUntil time.Time
}

// users are an instance's rows of mumble_users.
//
// Passwords are kept as HMAC-SHA256 of a random salt and the password,
// under a key derived from KEEPSTAR_SECRET_KEY (decision 0030): murmurd
// waits on every login's answer, so the check must cost microseconds, not
// the tens of milliseconds of bcrypt that would stall the whole server at
// a burst of logins; and a copy of the database alone does not let anyone
// test guesses, without the key that never is in it.
type users struct {
	db       *store.DB
	instance int64
	mac      *secrets.MAC
	now      func() time.Time
}

// passwordPurpose separates the key of Mumble's password hashes from every
// other key derived from KEEPSTAR_SECRET_KEY.
const passwordPurpose = "mumble passwords"

func newUsers(db *store.DB, instance int64, secretKey []byte, now func() time.Time) (*users, error) {
	mac, err := secrets.NewMAC(secretKey, passwordPurpose)
	if err != nil {
		return nil, fmt.Errorf("mumble: %w", err)
	}
	return &users{db: db, instance: instance, mac: mac, now: now}, nil
}

const userColumns = `user_id, username, display_name, groups, password_hash, salt, regroup_hash, regroup_until`

func scanUser(row store.Row) (user, error) {
	var u user
	var groups string
	var until *time.Time
	if err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &groups, &u.hash, &u.salt, &u.regroup, &until); err != nil {
		if errors.Is(err, store.ErrNoRows) {
			return u, errNoUser
		}
		return u, fmt.Errorf("mumble: read user: %w", err)
	}
	if groups != "" {
		u.Groups = strings.Split(groups, "\n")
	}
	if until != nil {
		u.regroupUntil = *until
	}
	return u, nil
}

// byName finds the user a login names: one read of the login index.
func (s *users) byName(ctx context.Context, name string) (user, error) {
	return scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM mumble_users WHERE instance_id = $1 AND username_key = $2`,
		s.instance, strings.ToLower(name)))
}

// byID finds a user by Murmur's id of it.
func (s *users) byID(ctx context.Context, id int) (user, error) {
	return scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM mumble_users WHERE instance_id = $1 AND user_id = $2`,
		s.instance, id))
}

// sum is the stored hash of a password with a salt.
func (s *users) sum(salt, password string) string {
	sum := s.mac.Sum(salt + "\x00" + password)
	return base64.RawStdEncoding.EncodeToString(sum[:])
}

// verify reports whether password is the user's.
func (s *users) verify(u user, password string) bool {
	return s.matches(u.hash, u.salt, password)
}

// verifyRegroup reports whether password is the user's one-time regroup
// password, still good.
func (s *users) verifyRegroup(u user, password string) bool {
	return u.regroup != "" && s.now().Before(u.regroupUntil) && s.matches(u.regroup, u.salt, "regroup\x00"+password)
}

func (s *users) matches(hash, salt, password string) bool {
	want, err := base64.RawStdEncoding.DecodeString(hash)
	if err != nil {
		return false
	}
	return s.mac.Verify(salt+"\x00"+password, want)
}

// setRegroup stores a one-time regroup password for the user, good for
// lifetime.
func (s *users) setRegroup(ctx context.Context, u user, password string, lifetime time.Duration) error {
	_, err := s.db.Exec(ctx, `UPDATE mumble_users SET regroup_hash = $1, regroup_until = $2 WHERE instance_id = $3 AND user_id = $4`,
		s.sum(u.salt, "regroup\x00"+password), s.now().Add(lifetime), s.instance, u.ID)
	if err != nil {
		return fmt.Errorf("mumble: regroup: %w", err)
	}
	return nil
}

// clearRegroup forgets a user's regroup password once it served.
func (s *users) clearRegroup(ctx context.Context, id int) error {
	_, err := s.db.Exec(ctx, `UPDATE mumble_users SET regroup_hash = '', regroup_until = NULL WHERE instance_id = $1 AND user_id = $2`,
		s.instance, id)
	if err != nil {
		return fmt.Errorf("mumble: regroup: %w", err)
	}
	return nil
}

func newSalt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawStdEncoding.EncodeToString(b)
}

// create stores a new user with its password, replacing a row of the same
// id (an account made again). A login name another user has is refused.
func (s *users) create(ctx context.Context, u user, password string) error {
	salt := newSalt()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var other int
		err := tx.QueryRow(ctx, `SELECT user_id FROM mumble_users WHERE instance_id = $1 AND username_key = $2`,
			s.instance, strings.ToLower(u.Username)).Scan(&other)
		if err == nil && other != u.ID {
			return errNameTaken
		}
		if err != nil && !errors.Is(err, store.ErrNoRows) {
			return fmt.Errorf("mumble: create user: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM mumble_users WHERE instance_id = $1 AND user_id = $2`, s.instance, u.ID); err != nil {
			return fmt.Errorf("mumble: create user: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO mumble_users (instance_id, user_id, username, username_key, password_hash, salt,
			display_name, groups, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			s.instance, u.ID, u.Username, strings.ToLower(u.Username), s.sum(salt, password), salt, u.DisplayName,
			strings.Join(u.Groups, "\n"), s.now())
		if err != nil {
			return fmt.Errorf("mumble: create user: %w", err)
		}
		return nil
	})
}

// setPassword changes a user's password (and salt).
func (s *users) setPassword(ctx context.Context, id int, password string) error {
	salt := newSalt()
	n, err := s.db.Exec(ctx, `UPDATE mumble_users SET password_hash = $1, salt = $2, updated_at = $3
		WHERE instance_id = $4 AND user_id = $5`, s.sum(salt, password), salt, s.now(), s.instance, id)
	if err != nil {
		return fmt.Errorf("mumble: set password: %w", err)
	}
	if n == 0 {
		return errNoUser
	}
	return nil
}

// update sets what a user's next login is answered with.
func (s *users) update(ctx context.Context, id int, displayName string, groups []string) error {
	n, err := s.db.Exec(ctx, `UPDATE mumble_users SET display_name = $1, groups = $2, updated_at = $3
		WHERE instance_id = $4 AND user_id = $5`, displayName, strings.Join(groups, "\n"), s.now(), s.instance, id)
	if err != nil {
		return fmt.Errorf("mumble: update user: %w", err)
	}
	if n == 0 {
		return errNoUser
	}
	return nil
}

// remove deletes a user: its next login is refused. A user already gone
// is no error.
func (s *users) remove(ctx context.Context, id int) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM mumble_users WHERE instance_id = $1 AND user_id = $2`, s.instance, id); err != nil {
		return fmt.Errorf("mumble: remove user: %w", err)
	}
	return nil
}
