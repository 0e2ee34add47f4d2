package app_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/memoryservice"
)

// matrixService is the in-memory service the matrix's sites know, so that
// the routes of one service have an instance to act on.
var matrixService = memoryservice.New()

// matrixServiceTypes are the connector types of the matrix's sites.
var matrixServiceTypes = []services.TypeConstructor{matrixService.Type}

// serviceMemberRows are the rows of the members' service routes: an
// instance "chat" whose access permission the group admin holds, with an
// account already activated. The member lacks the permission (403); the
// group admin may act (the link is refused with 400: the type has no
// OAuth2); superusers are no exception: the permission is what counts.
func serviceMemberRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	svc := e.site.Services(t, matrixServiceTypes...)
	inst, err := svc.Create(ctx, services.Input{Slug: "chat", Type: memoryservice.TypeName, Name: "Chat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, inst.ID, services.Input{Name: "Chat", Enabled: true, MapByName: true}); err != nil {
		t.Fatal(err)
	}
	e.addPermissions(t, groupAdmin, inst.Permission())
	if _, _, err := svc.Activate(ctx, "chat", e.accounts[groupAdmin]); err != nil {
		t.Fatal(err)
	}
	reset := url.Values{"reset": {"1"}}
	return map[string][]check{
		"GET /services": {{"GET", "/services", nil, members(200)}},
		"GET /services/{slug}/link": {
			{"GET", "/services/chat/link", nil, [visitors]int{login, 403, 403, 403, 400, 403}},
			{"GET", "/services/nothing/link", nil, [visitors]int{login, 404, 404, 404, 404, 404}},
		},
		// Without the state of a link started in this browser, nothing
		// is done for anyone.
		"GET /services/{slug}/callback": {{"GET", "/services/chat/callback?code=x&state=y", nil, members(400)}},
		"POST /services/{slug}/activate": {
			{"POST", "/services/chat/activate", url.Values{}, [visitors]int{login, 403, 403, 403, 409, 403}},
			{"POST", "/services/nothing/activate", url.Values{}, [visitors]int{login, 404, 404, 404, 404, 404}},
		},
		"POST /services/{slug}/password": {
			{"POST", "/services/chat/password", reset, [visitors]int{login, 403, 403, 403, 200, 403}},
			{"POST", "/services/chat/password", url.Values{"password": {"short"}}, [visitors]int{login, 400, 400, 400, 400, 400}},
			{"POST", "/services/nothing/password", url.Values{"reset": {"1"}}, [visitors]int{login, 404, 404, 404, 404, 404}},
		},
		// Checking again queues a sync of one's own account.
		"POST /services/{slug}/refresh": {
			{"POST", "/services/chat/refresh", url.Values{}, [visitors]int{login, 403, 403, 403, 200, 403}},
			{"POST", "/services/nothing/refresh", url.Values{}, [visitors]int{login, 404, 404, 404, 404, 404}},
		},
		// A service's single sign-on request: the type here is no SSO
		// provider (400) for the one who may use it.
		"GET /services/{slug}/sso": {
			{"GET", "/services/chat/sso?sso=x&sig=y", nil, [visitors]int{login, 403, 403, 403, 400, 403}},
			{"GET", "/services/nothing/sso", nil, [visitors]int{login, 404, 404, 404, 404, 404}},
		},
		"GET /services/{slug}/deactivate": {
			{"GET", "/services/chat/deactivate", nil, [visitors]int{login, 409, 409, 409, 200, 409}},
			{"GET", "/services/nothing/deactivate", nil, [visitors]int{login, 404, 404, 404, 404, 404}},
		},
		"POST /services/{slug}/deactivate": {{"POST", "/services/chat/deactivate", url.Values{}, [visitors]int{login, 409, 409, 409, 400, 409}}},
	}
}

func init() { rowsets = append(rowsets, serviceMemberRows) }
