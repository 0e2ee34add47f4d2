package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// groupRowsQueue takes the full recomputation a new group queues and runs
// none: the fixtures below need none (no default or mapped group).
type groupRowsQueue struct{}

func (groupRowsQueue) InsertTx(context.Context, *store.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{}, nil
}

// groupRows are the access matrix rows of the members' and managers'
// groups pages.
func groupRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	db := e.site.DB
	st := settings.NewStore(db, settings.NewRegistry(groups.Settings, access.Settings), nil, 0)
	gs := groups.New(db, groups.Options{Recomputer: access.NewRecomputer(db, st, nil), Queue: groupRowsQueue{},
		Catalogue: access.NewCatalogue(access.Permissions), Settings: st})
	root := groups.Actor{Superuser: true, Name: "matrix"}
	group := func(in groups.Input) string {
		t.Helper()
		g, err := gs.Create(ctx, in)
		if err != nil {
			t.Fatalf("group %q: %v", in.Name, err)
		}
		return strconv.FormatInt(g.ID, 10)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	id := func(s string) int64 {
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	// Groups managed by nobody but superusers (and holders of
	// groups.manage_all, whom no visitor is). Public groups need no
	// request permission, which no visitor holds.
	shown := group(groups.Input{Name: "Matrix shown", Public: true})
	internal := group(groups.Input{Name: "Matrix internal", Internal: true})
	join := group(groups.Input{Name: "Matrix join", Public: true, Open: true})
	leave := group(groups.Input{Name: "Matrix leave", Public: true, Open: true})
	cancel := group(groups.Input{Name: "Matrix cancel", Public: true})
	accept := group(groups.Input{Name: "Matrix accept", Public: true})
	reject := group(groups.Input{Name: "Matrix reject", Public: true})
	remove := group(groups.Input{Name: "Matrix remove", Public: true})
	add := group(groups.Input{Name: "Matrix add", Public: true})
	for v := member; v < visitors; v++ {
		// Each visitor leaves a group they are in and withdraws a request
		// of their own.
		must(gs.Add(ctx, root, id(leave), e.accounts[v]))
		out, err := gs.Join(ctx, groups.Actor{AccountID: e.accounts[v], Name: visitorNames[v]}, id(cancel))
		must(err)
		if out != groups.Requested {
			t.Fatalf("joining %s: %s", cancel, out)
		}
	}
	// The member's requests, which only superusers answer.
	var requests []string
	for _, g := range []string{accept, reject} {
		_, err := gs.Join(ctx, groups.Actor{AccountID: e.accounts[member], Name: "member"}, id(g))
		must(err)
		ps, err := gs.Pending(ctx, root)
		must(err)
		for _, p := range ps {
			if p.GroupID == id(g) && p.AccountID == e.accounts[member] {
				requests = append(requests, strconv.FormatInt(p.ID, 10))
			}
		}
	}
	if len(requests) != 2 {
		t.Fatalf("pending requests: %v", requests)
	}
	must(gs.Add(ctx, root, id(remove), e.accounts[member]))
	target := strconv.FormatInt(e.accounts[member], 10)
	character := strconv.Itoa(int(e.ids[member]))

	managers := [visitors]int{login, 403, 403, 403, 403, 200}
	return map[string][]check{
		"GET /groups": {{"GET", "/groups", nil, members(200)}},
		"GET /groups/{id}": {
			{"GET", "/groups/" + shown, nil, members(200)},
			{"GET", "/groups/" + internal, nil, members(404)},
			{"GET", "/groups/999999", nil, members(404)},
		},
		"POST /groups/{id}/join":   {{"POST", "/groups/" + join + "/join", url.Values{}, members(200)}},
		"POST /groups/{id}/leave":  {{"POST", "/groups/" + leave + "/leave", url.Values{}, members(200)}},
		"POST /groups/{id}/cancel": {{"POST", "/groups/" + cancel + "/cancel", url.Values{"kind": {"join"}}, members(200)}},
		"GET /groups/manage":       {{"GET", "/groups/manage", nil, managers}},
		"POST /groups/requests/{id}/accept": {
			{"POST", "/groups/requests/" + requests[0] + "/accept", url.Values{}, managers},
		},
		"POST /groups/requests/{id}/reject": {
			{"POST", "/groups/requests/" + requests[1] + "/reject", url.Values{}, managers},
		},
		"GET /groups/{id}/members": {{"GET", "/groups/" + shown + "/members", nil, managers}},
		"POST /groups/{id}/members/add": {
			{"POST", "/groups/" + add + "/members/add", url.Values{"character": {character}}, managers},
		},
		"POST /groups/{id}/members/{account}/remove": {
			{"POST", "/groups/" + remove + "/members/" + target + "/remove", url.Values{}, managers},
		},
		"GET /groups/{id}/log": {{"GET", "/groups/" + shown + "/log", nil, managers}},
	}
}

func init() { rowsets = append(rowsets, groupRows) }
