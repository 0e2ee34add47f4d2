package groups_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
)

// TestAdminDeleteAsksFirst: the delete buttons lead to a confirmation that
// counts what deleting the group does; a deletion posted without the
// confirmation is refused and deletes nothing; confirmed, it deletes.
func TestAdminDeleteAsksFirst(t *testing.T) {
	eachAdminSite(t, func(t *testing.T, s *adminSite) {
		ga, member, other := s.visitor(access.RoleGroupAdmin), s.visitor(""), s.visitor("")
		// Public: its members (put there below, without the permission to
		// ask) are not removed by the access engine meanwhile.
		g := s.newGroup(ga, url.Values{"name": {"Doomed"}, "public": {"on"}})
		s.newGroup(ga, url.Values{"name": {"Needs it"}, "required": {itoa(g.ID)}})
		now := time.Now().UTC()
		for _, acc := range []int64{member.account, other.account} {
			if _, err := s.site.DB.Exec(s.ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, acc, g.ID, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.site.DB.Exec(s.ctx, `INSERT INTO group_requests (group_id, account_id, kind, status, created_at) VALUES ($1, $2, 'join', 'pending', $3)`,
			g.ID, ga.account, now); err != nil {
			t.Fatal(err)
		}
		path := "/admin/groups/" + itoa(g.ID)

		adminDo(t, ga, "/admin/groups", nil, 200, `href="`+path+`/delete"`)
		adminDo(t, ga, path, nil, 200, `href="`+path+`/delete" id="delete-group"`)
		adminDo(t, ga, path+"/delete", nil, 200, "Delete the group Doomed?", "2 members lose this group.",
			"1 pending request to join or leave it is dropped.", "1 rule of another group that requires or forbids it is dropped.",
			`action="`+path+`/delete"`, `name="confirm" value="yes"`, `href="`+path+`" id="confirm-cancel"`)
		for _, f := range []url.Values{{}, {"confirm": {"on"}}} {
			adminDo(t, ga, path+"/delete", f, 400, "Nothing was changed: confirm", "2 members lose this group.")
		}
		if _, err := s.store.Get(s.ctx, g.ID); err != nil {
			t.Fatalf("an unconfirmed deletion deleted: %v", err)
		}
		adminDo(t, member, path+"/delete", nil, 403)
		adminDo(t, member, path+"/delete", url.Values{"confirm": {"yes"}}, 403)
		adminDo(t, ga, path+"/delete", url.Values{"confirm": {"yes"}}, 200, "The group Doomed was deleted.")
		if _, err := s.store.Get(s.ctx, g.ID); !errors.Is(err, groups.ErrNotFound) {
			t.Fatalf("confirmed deletion: %v", err)
		}
		adminDo(t, ga, path+"/delete", nil, 404)
		adminDo(t, ga, path+"/delete", url.Values{"confirm": {"yes"}}, 404)
	})
}
