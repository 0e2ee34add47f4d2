package phpbb3

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

func keepNone(string) bool { return false }

// A member's user is made as phpBB's user_add makes one, in strict mode:
// the name as formatted (apostrophe and Cyrillic kept), username_clean as
// phpBB computes it, a $2y$ hash of the password, the REGISTERED primary
// group and its user_group row, the board's language and style, the
// avatar; mapped groups joined, missing ones made.
func TestCreateMakesAUserPhpBBAccepts(t *testing.T) {
	ctx := context.Background()
	f := newForum(t)
	c := f.connect(t, "", DefaultPrefix, map[string]string{forumdb.SettingCreateGroups: "true", forumdb.SettingAvatar: "true"})
	want := services.Want{Name: "Ива́н O'Brien", Groups: []string{"Fleet Command", "Members"}, Keep: keepNone,
		Identity: services.Identity{CharacterID: 90000001}}
	acct, err := c.Create(ctx, want, "Abcdefgh12345678")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(acct.ExternalID, 10, 64)
	u := f.user(t, DefaultPrefix, id)
	if u.Name != want.Name || u.Clean != Clean(want.Name) || u.Type != userNormal || u.Group != 2 || u.Lang != "en" || u.Style != 1 ||
		len(u.Salt) != 16 {
		t.Errorf("user row %+v", u)
	}
	if !Verify(u.Password, "Abcdefgh12345678") || u.Password[:7] != "$2y$10$" {
		t.Errorf("password hash %q", u.Password)
	}
	if u.Avatar != "https://images.evetech.net/characters/90000001/portrait?size=64" || u.AvatarType != remoteAvatar {
		t.Errorf("avatar %q %q", u.Avatar, u.AvatarType)
	}
	if got := f.groupsOf(t, DefaultPrefix, id); !slices.Equal(got, []string{"Fleet Command", "Members", "REGISTERED"}) {
		t.Errorf("groups %v", got)
	}
	if acct.ExternalName != want.Name || !slices.Equal(acct.Groups, want.Groups) {
		t.Errorf("account %+v", acct)
	}
}

// Groups follow the want with only the rows that differ written: joined,
// pending approved, left; phpBB's own groups and kept ones stay; a
// missing group without "make missing groups" is reported after the rest
// is applied; the cached permissions are cleared on change only.
func TestApplyWritesOnlyWhatDiffers(t *testing.T) {
	ctx := context.Background()
	f := newForum(t)
	c := f.connect(t, "", DefaultPrefix, nil)
	for _, g := range []string{"Alpha", "Beta", "Gamma", "Forum Own"} {
		f.exec(t, `INSERT INTO phpbb_groups (group_name, group_desc) VALUES (?, '')`, g)
	}
	acct, err := c.Create(ctx, services.Want{Name: "Pilot One", Groups: []string{"Alpha"}, Keep: keepNone}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(acct.ExternalID, 10, 64)
	// Forum-side: a pending Beta, Forum Own given by an admin, moderator.
	f.exec(t, `INSERT INTO phpbb_user_group (group_id, user_id, group_leader, user_pending)
		SELECT group_id, ?, 0, 1 FROM phpbb_groups WHERE group_name = 'Beta'`, id)
	f.exec(t, `INSERT INTO phpbb_user_group (group_id, user_id, group_leader, user_pending)
		SELECT group_id, ?, 0, 0 FROM phpbb_groups WHERE group_name IN ('Forum Own', 'GLOBAL_MODERATORS')`, id)
	f.exec(t, `UPDATE phpbb_users SET user_permissions = 'cached' WHERE user_id = ?`, id)

	keep := func(g string) bool { return g == "Forum Own" }
	before := c.Statements()
	_, err = c.Apply(ctx, acct, services.Want{Name: "Pilot One", Groups: []string{"Beta", "Gamma"}, Keep: keep})
	if err != nil {
		t.Fatal(err)
	}
	// The read, then in one transaction (BEGIN, COMMIT): join Gamma,
	// approve Beta, leave Alpha, the user's UPDATE.
	if n := c.Statements() - before; n != 7 {
		t.Errorf("%d statements, want 7", n)
	}
	if got := f.groupsOf(t, DefaultPrefix, id); !slices.Equal(got, []string{"Beta", "Forum Own", "GLOBAL_MODERATORS", "Gamma", "REGISTERED"}) {
		t.Errorf("groups %v", got)
	}
	if u := f.user(t, DefaultPrefix, id); u.Perms != "" {
		t.Errorf("permissions cache %q kept", u.Perms)
	}
	// Nothing differs: the read only.
	f.exec(t, `UPDATE phpbb_users SET user_permissions = 'cached' WHERE user_id = ?`, id)
	before = c.Statements()
	if _, err := c.Apply(ctx, acct, services.Want{Groups: []string{"Beta", "Gamma"}, Keep: keep}); err != nil {
		t.Fatal(err)
	}
	if n := c.Statements() - before; n != 1 {
		t.Errorf("%d statements for no change, want 1", n)
	}
	if u := f.user(t, DefaultPrefix, id); u.Perms != "cached" {
		t.Error("the permissions cache was cleared without a change")
	}
	_, err = c.Apply(ctx, acct, services.Want{Groups: []string{"Beta", "Nowhere"}, Keep: keep})
	if !errors.Is(err, errGroupMissing) {
		t.Errorf("missing group: %v", err)
	}
	if got := f.groupsOf(t, DefaultPrefix, id); slices.Contains(got, "Gamma") {
		t.Errorf("the rest was not applied: %v", got)
	}
}

// Remove disables without deleting; activating again takes the same user
// back with a new password; an account deleted on the forum is Gone.
func TestRemoveDisablesAndCreateTakesBack(t *testing.T) {
	ctx := context.Background()
	f := newForum(t)
	c := f.connect(t, "", DefaultPrefix, map[string]string{forumdb.SettingCreateGroups: "true"})
	f.exec(t, `INSERT INTO phpbb_groups (group_name, group_desc) VALUES ('Forum Own', '')`)
	want := services.Want{Name: "Bob O'Brien", Groups: []string{"Members"}, Keep: func(g string) bool { return g == "Forum Own" }}
	acct, err := c.Create(ctx, want, "first password")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(acct.ExternalID, 10, 64)
	f.exec(t, `INSERT INTO phpbb_user_group (group_id, user_id, group_leader, user_pending)
		SELECT group_id, ?, 0, 0 FROM phpbb_groups WHERE group_name = 'Forum Own'`, id)
	f.exec(t, `INSERT INTO phpbb_sessions (session_id, session_user_id) VALUES ('s1', ?), ('s2', ?), ('other', 1)`, id, id)
	f.exec(t, `INSERT INTO phpbb_sessions_keys (key_id, user_id) VALUES ('k1', ?)`, id)

	// An admin made Members the user's primary group.
	f.exec(t, `UPDATE phpbb_users SET group_id = (SELECT group_id FROM phpbb_groups WHERE group_name = 'Members') WHERE user_id = ?`, id)
	if err := c.Remove(ctx, acct); err != nil {
		t.Fatal(err)
	}
	u := f.user(t, DefaultPrefix, id)
	if u.Group != 2 {
		t.Errorf("primary group %d after removal, want REGISTERED (2)", u.Group)
	}
	if u.Type != userInactive || u.InactiveReason != inactiveManual || Verify(u.Password, "first password") || u.Perms != "" {
		t.Errorf("disabled user %+v", u)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM phpbb_sessions WHERE session_user_id = ?`, id) +
		f.count(t, `SELECT COUNT(*) FROM phpbb_sessions_keys WHERE user_id = ?`, id); n != 0 {
		t.Errorf("%d sessions left", n)
	}
	if f.count(t, `SELECT COUNT(*) FROM phpbb_sessions`) != 1 {
		t.Error("another user's session was ended")
	}
	if got := f.groupsOf(t, DefaultPrefix, id); !slices.Equal(got, []string{"Forum Own", "REGISTERED"}) {
		t.Errorf("groups after removal %v", got)
	}
	if err := c.Remove(ctx, acct); err != nil {
		t.Errorf("removed twice: %v", err)
	}

	again, err := c.Create(ctx, want, "second password")
	if err != nil {
		t.Fatal(err)
	}
	if again.ExternalID != acct.ExternalID {
		t.Errorf("a new user %s instead of %s", again.ExternalID, acct.ExternalID)
	}
	u = f.user(t, DefaultPrefix, id)
	if u.Type != userNormal || u.InactiveReason != 0 || !Verify(u.Password, "second password") {
		t.Errorf("taken back %+v", u)
	}
	if got := f.groupsOf(t, DefaultPrefix, id); !slices.Equal(got, []string{"Forum Own", "Members", "REGISTERED"}) {
		t.Errorf("groups after reactivation %v", got)
	}
	if err := c.SetPassword(ctx, again, "third"); err != nil {
		t.Fatal(err)
	}
	if u := f.user(t, DefaultPrefix, id); !Verify(u.Password, "third") {
		t.Error("set password")
	}

	f.exec(t, `DELETE FROM phpbb_users WHERE user_id = ?`, id)
	if _, err := c.Apply(ctx, again, want); !errors.Is(err, services.ErrGone) {
		t.Errorf("apply to a deleted user: %v", err)
	}
	if err := c.SetPassword(ctx, again, "x"); !errors.Is(err, services.ErrGone) {
		t.Errorf("password of a deleted user: %v", err)
	}
	obs, err := c.Observe(ctx, []services.Account{again})
	if err != nil || !obs[0].Gone {
		t.Errorf("observe a deleted user: %+v, %v", obs, err)
	}
}

// The founder and bots (Anonymous) are never taken over, nor disabled.
func TestCreateNeverTakesFoundersOrOthersUsers(t *testing.T) {
	ctx := context.Background()
	f := newForum(t)
	c := f.connect(t, "", DefaultPrefix, nil)
	for _, name := range []string{"Admin", "ANONYMOUS"} {
		if _, err := c.Create(ctx, services.Want{Name: name, Keep: keepNone}, "pw"); !errors.Is(err, errNameTaken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A founder (made so on the forum) losing access in Keepstar stays
	// active: phpBB's ACP cannot deactivate founders either.
	if err := c.Remove(ctx, services.Account{ExternalID: "2"}); err != nil {
		t.Fatal(err)
	}
	if u := f.user(t, DefaultPrefix, 2); u.Type != userFounder {
		t.Errorf("the founder was disabled: %+v", u)
	}
}

// Observe reads groups back (not phpBB's own, not pending); Groups lists
// the forum's groups but phpBB's own; Check finds a wrong prefix, an
// unreachable server and a missing mapped group.
func TestObserveGroupsCheck(t *testing.T) {
	ctx := context.Background()
	f := newForum(t)
	c := f.connect(t, "", DefaultPrefix, map[string]string{forumdb.SettingCreateGroups: "true"})
	a, err := c.Create(ctx, services.Want{Name: "Obs One", Groups: []string{"Alpha", "Beta"}, Keep: keepNone}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Create(ctx, services.Want{Name: "Obs Two", Keep: keepNone}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	obs, err := c.Observe(ctx, []services.Account{a, b, {ExternalID: "999"}})
	if err != nil {
		t.Fatal(err)
	}
	if obs[0].Gone || !slices.Equal(obs[0].Groups, []string{"Alpha", "Beta"}) || obs[0].Name != "Obs One" ||
		obs[1].Gone || len(obs[1].Groups) != 0 || !obs[2].Gone {
		t.Errorf("observed %+v", obs)
	}
	groups, err := c.Groups(ctx)
	if err != nil || !slices.Equal(groups, []string{"Alpha", "Beta"}) {
		t.Errorf("groups %v, %v", groups, err)
	}
	if p, err := c.Check(ctx, []string{"Alpha"}); err != nil || len(p) != 0 {
		t.Errorf("check: %+v, %v", p, err)
	}
	wrong := f.connect(t, "", "forum_", nil)
	if p, err := wrong.Check(ctx, []string{"Alpha", "Zeta"}); err != nil || len(p) != len(tables) || p[0].Message != "services.phpbb3.problem.table" {
		t.Errorf("wrong prefix: %+v, %v", p, err)
	}
	if p, err := f.connect(t, "", DefaultPrefix, nil).Check(ctx, []string{"Alpha", "Zeta"}); err != nil || len(p) != 1 ||
		p[0].Message != "services.phpbb3.problem.group_missing" {
		t.Errorf("missing group: %+v, %v", p, err)
	}
	denied := f.connect(t, "", DefaultPrefix, map[string]string{forumdb.SettingPassword: "not-the-password"})
	if p, err := denied.Check(ctx, nil); err != nil || len(p) != 1 || p[0].Message != "services.phpbb3.problem.denied" {
		t.Errorf("wrong password: %+v, %v", p, err)
	}
	if _, err := denied.Apply(ctx, a, services.Want{}); err == nil || errors.Is(err, services.ErrUnavailable) ||
		strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("apply with a wrong password: %v", err)
	}
	down := f.connect(t, "127.0.0.1:1", DefaultPrefix, nil)
	if p, err := down.Check(ctx, nil); err != nil || len(p) != 1 || p[0].Message != "services.phpbb3.problem.unreachable" {
		t.Errorf("unreachable: %+v, %v", p, err)
	}
	if _, err := down.Apply(ctx, a, services.Want{}); !errors.Is(err, services.ErrUnavailable) {
		t.Errorf("apply while unreachable: %v", err)
	}
}

// Two instances on one database, with two prefixes, never see each
// other's users or groups.
func TestTwoPrefixesInOneDatabase(t *testing.T) {
	ctx := context.Background()
	f := newForum(t, "phpbb_", "second_")
	one := f.connect(t, "", "phpbb_", map[string]string{forumdb.SettingCreateGroups: "true"})
	two := f.connect(t, "", "second_", map[string]string{forumdb.SettingCreateGroups: "true"})
	a, err := one.Create(ctx, services.Want{Name: "Same Name", Groups: []string{"One"}, Keep: keepNone}, "pw1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := two.Create(ctx, services.Want{Name: "Same Name", Groups: []string{"Two"}, Keep: keepNone}, "pw2")
	if err != nil {
		t.Fatal(err)
	}
	ida, _ := strconv.ParseInt(a.ExternalID, 10, 64)
	idb, _ := strconv.ParseInt(b.ExternalID, 10, 64)
	if !Verify(f.user(t, "phpbb_", ida).Password, "pw1") || !Verify(f.user(t, "second_", idb).Password, "pw2") {
		t.Error("passwords crossed")
	}
	if g := f.groupsOf(t, "second_", idb); !slices.Equal(g, []string{"REGISTERED", "Two"}) {
		t.Errorf("second forum's groups %v", g)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM phpbb_groups WHERE group_name = 'Two'`); n != 0 {
		t.Error("the second instance made a group in the first forum")
	}
}
