package phpbb3

import (
	"context"
	_ "embed"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
	"github.com/keepstar/keepstar/internal/services/forumdb/forumdbtest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

//go:embed testdata/schema.sql
var schema string

// forum is a phpBB fixture database with one Keepstar store beside it.
type forum struct {
	*forumdbtest.Forum
	keep *store.DB
}

func newForum(t testing.TB, prefixes ...string) *forum {
	t.Helper()
	if len(prefixes) == 0 {
		prefixes = []string{DefaultPrefix}
	}
	f := forumdbtest.New(t, schema, prefixes...)
	return &forum{Forum: f, keep: storetest.Open(t, config.SQLite)}
}

// connect opens a connector on the forum with prefix and extra settings.
func (f *forum) connect(t testing.TB, addr, prefix string, extra map[string]string) *connector {
	t.Helper()
	set := f.Settings(addr, prefix)
	for k, v := range extra {
		set[k] = v
	}
	c, err := open(services.Instance{ID: 1, Slug: "forum", Type: TypeName, Settings: set},
		services.Env{DB: f.keep, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// user is a users row as a test reads it.
type user struct {
	ID                                   int64
	Type, Group                          int
	Name, Clean, Password, Perms, Avatar string
	AvatarType, Lang, Salt               string
	Style                                int
	InactiveReason                       int
}

func (f *forum) user(t testing.TB, prefix string, id int64) user {
	t.Helper()
	var u user
	err := f.DB.QueryRowContext(context.Background(), `SELECT user_id, user_type, group_id, username, username_clean, user_password,
		user_permissions, user_avatar, user_avatar_type, user_lang, user_form_salt, user_style, user_inactive_reason
		FROM `+prefix+`users WHERE user_id = ?`, id).
		Scan(&u.ID, &u.Type, &u.Group, &u.Name, &u.Clean, &u.Password, &u.Perms, &u.Avatar, &u.AvatarType, &u.Lang, &u.Salt, &u.Style,
			&u.InactiveReason)
	if err != nil {
		t.Fatalf("user %d: %v", id, err)
	}
	return u
}

// groupsOf gives the names of the user's groups (pending ones marked *).
func (f *forum) groupsOf(t testing.TB, prefix string, id int64) []string {
	t.Helper()
	rows, err := f.DB.QueryContext(context.Background(), `SELECT g.group_name, ug.user_pending FROM `+prefix+`user_group ug
		JOIN `+prefix+`groups g ON g.group_id = ug.group_id WHERE ug.user_id = ? ORDER BY g.group_name`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		var pending bool
		if err := rows.Scan(&n, &pending); err != nil {
			t.Fatal(err)
		}
		if pending {
			n += "*"
		}
		out = append(out, n)
	}
	return out
}

func (f *forum) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := f.DB.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *forum) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.DB.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

var _ = forumdb.SettingAvatar
