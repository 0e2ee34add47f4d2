package phpbb3

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
)

// resyncWorld is a forum with members users Keepstar made: every one
// wants Capitals and Member; every other one has Member already, every
// tenth has Old, which it must leave.
type resyncWorld struct {
	f     *forum
	c     *connector
	accts []services.Account
	want  services.Want
	// floor is the fewest statements the resync can take: per user one
	// read, one statement per kind of change it needs (join, leave, the
	// user's row), and BEGIN and COMMIT where it needs two or more.
	floor int64
}

func newResyncWorld(t testing.TB, members int) *resyncWorld {
	t.Helper()
	ctx := context.Background()
	f := newForum(t)
	w := &resyncWorld{f: f, c: f.connect(t, "", DefaultPrefix, nil),
		want: services.Want{Groups: []string{"Capitals", "Member"}, Keep: keepNone}}
	f.exec(t, `INSERT INTO phpbb_groups (group_id, group_name, group_desc) VALUES (101, 'Member', ''), (102, 'Capitals', ''), (103, 'Old', '')`)
	for start := 0; start < members; start += 500 {
		var users, groups []string
		var args []any
		for i := start; i < min(start+500, members); i++ {
			id := 1000 + i
			users = append(users, "(?, 0, 2, ?, ?, '', '', '')")
			args = append(args, id, fmt.Sprintf("Pilot %d", i), fmt.Sprintf("pilot %d", i))
			groups = append(groups, fmt.Sprintf("(2, %d, 0, 0)", id))
			if i%2 == 0 {
				groups = append(groups, fmt.Sprintf("(101, %d, 0, 0)", id))
			}
			if i%10 == 0 {
				groups = append(groups, fmt.Sprintf("(103, %d, 0, 0)", id))
			}
			w.accts = append(w.accts, services.Account{ExternalID: fmt.Sprint(id), Groups: []string{"Member"}})
		}
		f.exec(t, `INSERT INTO phpbb_users (user_id, user_type, group_id, username, username_clean, user_permissions, user_sig, user_password)
			VALUES `+strings.Join(users, ","), args...)
		f.exec(t, `INSERT INTO phpbb_user_group (group_id, user_id, group_leader, user_pending) VALUES `+strings.Join(groups, ","))
	}
	for i := range members {
		writes := int64(2) // join Capitals (and Member), the user's row
		if i%10 == 0 {
			writes++ // leave Old
		}
		w.floor += 1 + writes + 2
	}
	_ = ctx
	return w
}

// reset puts the memberships back as newResyncWorld made them.
func (w *resyncWorld) reset(t testing.TB) {
	t.Helper()
	w.f.exec(t, `DELETE FROM phpbb_user_group WHERE group_id IN (101, 102, 103)`)
	w.f.exec(t, `INSERT INTO phpbb_user_group (group_id, user_id, group_leader, user_pending)
		SELECT 101, user_id, 0, 0 FROM phpbb_users WHERE user_id >= 1000 AND (user_id - 1000) % 2 = 0`)
	w.f.exec(t, `INSERT INTO phpbb_user_group (group_id, user_id, group_leader, user_pending)
		SELECT 103, user_id, 0, 0 FROM phpbb_users WHERE user_id >= 1000 AND (user_id - 1000) % 10 = 0`)
}

func (w *resyncWorld) resync(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	for _, a := range w.accts {
		if _, err := w.c.Apply(ctx, a, w.want); err != nil {
			t.Fatal(err)
		}
	}
}

// A resync writes only what differs: its statements are exactly the
// floor, and a second resync, with nothing left to change, is one read
// per user.
func TestResyncStatementsAtTheFloor(t *testing.T) {
	w := newResyncWorld(t, 500)
	before := w.c.Statements()
	w.resync(t)
	if n := w.c.Statements() - before; n != w.floor {
		t.Errorf("%d statements, floor %d", n, w.floor)
	}
	if n := w.f.count(t, `SELECT COUNT(*) FROM phpbb_user_group WHERE group_id IN (101, 102)`); n != 1000 {
		t.Errorf("%d memberships of Member and Capitals, want 1000", n)
	}
	if n := w.f.count(t, `SELECT COUNT(*) FROM phpbb_user_group WHERE group_id = 103`); n != 0 {
		t.Errorf("%d left in Old", n)
	}
	before = w.c.Statements()
	w.resync(t)
	if n := w.c.Statements() - before; n != 500 {
		t.Errorf("%d statements for a resync with nothing to change, want 500", n)
	}
}

// BenchmarkResync5000 resyncs 5,000 phpBB users' groups on the real
// MariaDB: statements per resync against the floor, and the time.
func BenchmarkResync5000(b *testing.B) {
	w := newResyncWorld(b, 5000)
	var statements int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		w.reset(b)
		before := w.c.Statements()
		b.StartTimer()
		w.resync(b)
		statements += w.c.Statements() - before
	}
	b.ReportMetric(float64(statements)/float64(b.N), "statements/resync")
	b.ReportMetric(float64(w.floor), "floor")
	b.ReportMetric(float64(statements)/float64(b.N)/float64(w.floor), "ratio")
}
