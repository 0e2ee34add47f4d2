package smf

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
	"github.com/keepstar/keepstar/internal/services/forumdb/forumdbtest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

//go:embed testdata/schema.sql
var schema string

// The vectors PHP's password_hash made of lower(member_name)+password
// (testdata/vectors.php) verify by SMF's rule, in any case of the name;
// a wrong password or another name does not.
func TestPHPVectorsVerify(t *testing.T) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		MemberName string `json:"member_name"`
		Password   string
		Hash       string
	}
	if err := json.Unmarshal(b, &vs); err != nil || len(vs) < 4 {
		t.Fatalf("%d vectors, %v", len(vs), err)
	}
	for _, v := range vs {
		if !Verify(v.MemberName, v.Password, v.Hash) {
			t.Errorf("%s / %q does not verify against PHP's %s", v.MemberName, v.Password, v.Hash)
		}
		if Verify(v.MemberName, "W"+v.Password, v.Hash) || Verify("x"+v.MemberName, v.Password, v.Hash) {
			t.Errorf("%s: a wrong password or name verifies", v.MemberName)
		}
	}
}

// PHP's password_verify (when KEEPSTAR_TEST_PHP names php) accepts
// Keepstar's passwd for lower(member_name)+password.
func TestPHPVerifiesKeepstarHashes(t *testing.T) {
	php := os.Getenv("KEEPSTAR_TEST_PHP")
	if php == "" {
		t.Skip("PHP oracle off: set KEEPSTAR_TEST_PHP to php's path (php-cli) to run it")
	}
	for _, c := range [][2]string{{"Bob O_Brien", "Abcdefgh12345678"}, {"Иван Петров", "пароль & more"}} {
		h, err := Hash(c[0], c[1])
		if err != nil {
			t.Fatal(err)
		}
		for input, want := range map[string]string{strToLowerASCIIAndCyrillic(c[0]) + c[1]: "yes", c[0] + c[1] + "x": "no"} {
			cmd := exec.Command(php, "-r", `echo password_verify(getenv("P"), getenv("H")) ? "yes" : "no";`)
			cmd.Env = append(os.Environ(), "P="+input, "H="+h)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != want {
				t.Errorf("php password_verify(%q, %s) = %s, want %s", input, h, out, want)
			}
		}
	}
}

// strToLowerASCIIAndCyrillic lower-cases the test's names independently
// of strings.ToLower, which Hash uses.
func strToLowerASCIIAndCyrillic(s string) string {
	r := []rune(s)
	for i, c := range r {
		switch {
		case c >= 'A' && c <= 'Z':
			r[i] = c + 32
		case c >= 'А' && c <= 'Я':
			r[i] = c + 32
		}
	}
	return string(r)
}

func TestNames(t *testing.T) {
	if got := MemberName(`Bob O'Brien <x> "q" = \`); got != "Bob O_Brien _x_ _q_ _ _" {
		t.Errorf("MemberName %q", got)
	}
	if got := escape(Sanitize("Bob  O'Brien & <Co>")); got != "Bob O&#039;Brien &amp; &lt;Co&gt;" {
		t.Errorf("real_name %q", got)
	}
	if unescape(escape(`a'b"c<d>&e`)) != `a'b"c<d>&e` {
		t.Error("escape round trip")
	}
	if got := parseIDs("4, 9,x,,9,12"); !slices.Equal(got, []int{4, 9, 12}) {
		t.Errorf("parseIDs %v", got)
	}
}

type forum struct {
	*forumdbtest.Forum
}

func newForum(t *testing.T, prefixes ...string) (*forum, func(prefix string, extra map[string]string) *connector) {
	t.Helper()
	if len(prefixes) == 0 {
		prefixes = []string{DefaultPrefix}
	}
	f := &forum{forumdbtest.New(t, schema, prefixes...)}
	keep := storetest.Open(t, config.SQLite)
	return f, func(prefix string, extra map[string]string) *connector {
		set := f.Settings("", prefix)
		for k, v := range extra {
			set[k] = v
		}
		c, err := open(services.Instance{ID: 1, Slug: "smf", Type: TypeName, Settings: set},
			services.Env{DB: keep, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
}

type member struct {
	Login, RealName, Passwd, Salt, Extra, Avatar string
	Group, Activated                             int
}

func (f *forum) member(t *testing.T, prefix string, id string) member {
	t.Helper()
	var m member
	err := f.DB.QueryRowContext(context.Background(), `SELECT member_name, real_name, passwd, password_salt, additional_groups, avatar,
		id_group, is_activated FROM `+prefix+`members WHERE id_member = ?`, id).
		Scan(&m.Login, &m.RealName, &m.Passwd, &m.Salt, &m.Extra, &m.Avatar, &m.Group, &m.Activated)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *forum) groupID(t *testing.T, prefix, name string) string {
	t.Helper()
	var id int
	if err := f.DB.QueryRowContext(context.Background(), `SELECT id_group FROM `+prefix+`membergroups WHERE group_name = ?`, name).Scan(&id); err != nil {
		t.Fatalf("group %s: %v", name, err)
	}
	return strconv.Itoa(id)
}

// The member is made in strict mode with SMF's hash, escaped display
// name and avatar; groups follow only for managed ones, forum-side ones
// kept; Remove disables (password, salt, online row, Keepstar's groups);
// Create takes the same member back; Observe, Groups and Check read it.
func TestLifecycleOnMariaDB(t *testing.T) {
	ctx := context.Background()
	f, connect := newForum(t)
	c := connect(DefaultPrefix, map[string]string{forumdb.SettingCreateGroups: "true", forumdb.SettingAvatar: "true"})
	keep := func(g string) bool { return g == "Forum Own" }
	f.DB.ExecContext(ctx, `INSERT INTO smf_membergroups (group_name, description) VALUES ('Forum Own', '')`)
	want := services.Want{Name: "Иван O'Brien", Groups: []string{"Fleet", "Members"}, Keep: keep,
		Identity: services.Identity{CharacterID: 90000002}}
	acct, err := c.Create(ctx, want, "Abcdefgh12345678")
	if err != nil {
		t.Fatal(err)
	}
	m := f.member(t, "smf_", acct.ExternalID)
	if m.Login != "Иван O_Brien" || m.RealName != "Иван O&#039;Brien" || !Verify(m.Login, "Abcdefgh12345678", m.Passwd) ||
		len(m.Salt) != 32 || m.Group != 0 || m.Activated != 1 || m.Avatar != "https://images.evetech.net/characters/90000002/portrait?size=64" {
		t.Errorf("member %+v", m)
	}
	fleet, members, own := f.groupID(t, "smf_", "Fleet"), f.groupID(t, "smf_", "Members"), f.groupID(t, "smf_", "Forum Own")
	if m.Extra != fleet+","+members {
		t.Errorf("additional_groups %q", m.Extra)
	}
	// SMF and its admins add groups of their own: Forum Own, Moderator.
	f.DB.ExecContext(ctx, `UPDATE smf_members SET additional_groups = ? WHERE id_member = ?`, m.Extra+","+own+",3", acct.ExternalID)

	before := c.Statements()
	if _, err := c.Apply(ctx, acct, services.Want{Name: "Ivan", Groups: []string{"Members", "New"}, Keep: keep}); err != nil {
		t.Fatal(err)
	}
	// BEGIN, the member, the groups, INSERT New, the member's UPDATE, COMMIT.
	if n := c.Statements() - before; n != 6 {
		t.Errorf("%d statements", n)
	}
	m = f.member(t, "smf_", acct.ExternalID)
	newID := f.groupID(t, "smf_", "New")
	if m.Extra != members+","+own+",3,"+newID || m.RealName != "Ivan" {
		t.Errorf("after apply %+v", m)
	}
	before = c.Statements()
	if _, err := c.Apply(ctx, acct, services.Want{Name: "Ivan", Groups: []string{"Members", "New"}, Keep: keep}); err != nil {
		t.Fatal(err)
	}
	if n := c.Statements() - before; n != 4 {
		t.Errorf("%d statements for no change", n)
	}

	obs, err := c.Observe(ctx, []services.Account{acct, {ExternalID: "999"}})
	if err != nil || obs[0].Name != "Ivan" || !slices.Equal(obs[0].Groups, []string{"Forum Own", "Members", "New"}) || !obs[1].Gone {
		t.Errorf("observe %+v, %v", obs, err)
	}
	if gs, err := c.Groups(ctx); err != nil || !slices.Equal(gs, []string{"Fleet", "Forum Own", "Global Moderator", "Members", "New"}) {
		t.Errorf("groups %v, %v", gs, err)
	}
	if p, err := c.Check(ctx, []string{"Members"}); err != nil || len(p) != 0 {
		t.Errorf("check %+v, %v", p, err)
	}
	if p, err := connect("wrong_", nil).Check(ctx, nil); err != nil || len(p) != len(tables) {
		t.Errorf("check with a wrong prefix %+v, %v", p, err)
	}

	f.DB.ExecContext(ctx, `INSERT INTO smf_log_online (session, id_member) VALUES ('s1', ?), ('s2', 1)`, acct.ExternalID)
	acct.Groups = []string{"Members", "New"}
	if err := c.Remove(ctx, acct); err != nil {
		t.Fatal(err)
	}
	gone := f.member(t, "smf_", acct.ExternalID)
	if Verify(gone.Login, "Abcdefgh12345678", gone.Passwd) || gone.Salt == m.Salt || gone.Extra != own+",3" {
		t.Errorf("disabled %+v", gone)
	}
	var online int
	f.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM smf_log_online`).Scan(&online)
	if online != 1 {
		t.Errorf("%d online rows, want the other member's only", online)
	}

	back, err := c.Create(ctx, want, "second")
	if err != nil || back.ExternalID != acct.ExternalID {
		t.Fatalf("take back: %+v, %v", back, err)
	}
	m = f.member(t, "smf_", acct.ExternalID)
	if !Verify(m.Login, "second", m.Passwd) || m.Extra != own+",3,"+fleet+","+members {
		t.Errorf("taken back %+v", m)
	}
	if err := c.SetPassword(ctx, back, "third"); err != nil || !Verify(m.Login, "third", f.member(t, "smf_", back.ExternalID).Passwd) {
		t.Errorf("set password: %v", err)
	}
	if _, err := c.Create(ctx, services.Want{Name: "ADMIN", Keep: keep}, "x"); !errors.Is(err, errNameTaken) {
		t.Errorf("the admin taken: %v", err)
	}
	f.DB.ExecContext(ctx, `DELETE FROM smf_members WHERE id_member = ?`, back.ExternalID)
	if _, err := c.Apply(ctx, back, want); !errors.Is(err, services.ErrGone) {
		t.Errorf("apply to a deleted member: %v", err)
	}
}

// Without "make missing groups" a missing group is reported and the rest
// applied; two prefixes in one database stay apart.
func TestMissingGroupsAndTwoPrefixes(t *testing.T) {
	ctx := context.Background()
	f, connect := newForum(t, "smf_", "two_")
	one, two := connect("smf_", nil), connect("two_", map[string]string{forumdb.SettingCreateGroups: "true"})
	f.DB.ExecContext(ctx, `INSERT INTO smf_membergroups (group_name, description) VALUES ('Alpha', '')`)
	a, err := one.Create(ctx, services.Want{Name: "Same", Groups: []string{"Alpha", "Nowhere"}}, "pw1")
	if err != nil || !slices.Equal(a.Groups, []string{"Alpha"}) {
		t.Fatalf("create %+v, %v", a, err)
	}
	if _, err := one.Apply(ctx, a, services.Want{Name: "Same", Groups: []string{"Alpha", "Nowhere"}}); !errors.Is(err, errGroupMissing) {
		t.Errorf("missing group: %v", err)
	}
	b, err := two.Create(ctx, services.Want{Name: "Same", Groups: []string{"Nowhere"}}, "pw2")
	if err != nil {
		t.Fatal(err)
	}
	ma, mb := f.member(t, "smf_", a.ExternalID), f.member(t, "two_", b.ExternalID)
	if !Verify(ma.Login, "pw1", ma.Passwd) || !Verify(mb.Login, "pw2", mb.Passwd) || mb.Extra != f.groupID(t, "two_", "Nowhere") {
		t.Errorf("two forums: %+v %+v", ma, mb)
	}
}
