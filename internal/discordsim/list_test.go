package discordsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// members decodes a list answer into user ids.
func members(t *testing.T, r resp) []string {
	t.Helper()
	var list []struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatalf("list %q: %v", r.body, err)
	}
	ids := []string{}
	for _, m := range list {
		ids = append(ids, m.User.ID)
	}
	return ids
}

func TestListMembersPagesInIDOrder(t *testing.T) {
	w := newWorld(t)
	w.s.SetMembersIntent(true)
	for i := 0; i < 2500; i++ {
		u := w.s.AddUser(fmt.Sprintf("user%04d", i))
		if err := w.s.AddMember(w.guild.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	// The owner joined when the guild was made: 2,501 members.
	seen := map[string]bool{}
	after, pages, last := "0", 0, uint64(0)
	for {
		r := w.bot("GET", w.g()+"/members?limit=1000&after="+after, "")
		want(t, r, 200, 0)
		if r.header.Get("X-RateLimit-Limit") != "10" || r.header.Get("X-RateLimit-Bucket") == "" {
			t.Fatalf("headers %v", r.header)
		}
		ids := members(t, r)
		if len(ids) == 0 {
			break
		}
		pages++
		for _, id := range ids {
			var n uint64
			fmt.Sscan(id, &n)
			if n <= last || seen[id] {
				t.Fatalf("page %d: %s out of order or repeated", pages, id)
			}
			last, seen[id] = n, true
		}
		after = ids[len(ids)-1]
	}
	if pages != 3 || len(seen) != 2501 || !seen[w.owner.ID] {
		t.Fatalf("%d pages, %d members", pages, len(seen))
	}
	// limit defaults to 1; after defaults to 0.
	if ids := members(t, w.bot("GET", w.g()+"/members", "")); len(ids) != 1 || ids[0] != w.owner.ID {
		t.Fatalf("default page %v", ids)
	}
	if w.s.Requests("members list") != 5 {
		t.Fatalf("requests %d", w.s.Requests("members list"))
	}
}

func TestListMembersNeedsTheIntentAndAValidQuery(t *testing.T) {
	w := newWorld(t)
	want(t, w.bot("GET", w.g()+"/members?limit=10", ""), 403, 50001)
	w.s.SetMembersIntent(true)
	want(t, w.bot("GET", w.g()+"/members?limit=10", ""), 200, 0)
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "limit=", "after=abc", "after=-1"} {
		r := w.bot("GET", w.g()+"/members?"+q, "")
		want(t, r, 400, 50035)
		field, _, _ := strings.Cut(q, "=")
		if _, ok := r.json(t)["errors"].(map[string]any)[field]; !ok {
			t.Errorf("%s: errors %s do not name %s", q, r.body, field)
		}
	}
	want(t, w.bot("GET", w.g()+"/members?limit=1000", ""), 200, 0)
	want(t, w.bot("GET", "/guilds/42/members", ""), 404, 10004)
	if New(Options{MembersIntent: true}).membersIntent != true {
		t.Fatal("Options.MembersIntent not kept")
	}
}

func TestListMembersHasItsOwnBucket(t *testing.T) {
	w := newWorld(t)
	w.s.SetMembersIntent(true)
	for i := 0; i < 10; i++ {
		r := w.bot("GET", w.g()+"/members?limit=1000", "")
		want(t, r, 200, 0)
		if r.header.Get("X-RateLimit-Remaining") != fmt.Sprint(9-i) || r.header.Get("X-RateLimit-Reset-After") != "10.000" {
			t.Fatalf("headers %v", r.header)
		}
	}
	r := w.bot("GET", w.g()+"/members?limit=1000", "")
	if r.status != 429 || r.header.Get("X-RateLimit-Scope") != "user" || r.json(t)["retry_after"] != 10.0 {
		t.Fatalf("11th list: %d %v %s", r.status, r.header, r.body)
	}
	// Reading one member is another bucket.
	want(t, w.bot("GET", w.g()+"/members/"+w.owner.ID, ""), 200, 0)
	w.now = w.now.Add(10 * time.Second)
	want(t, w.bot("GET", w.g()+"/members?limit=1000", ""), 200, 0)
}
