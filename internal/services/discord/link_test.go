package discord

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/services"
)

// The authorize URL is one the simulator's consent page takes.
func TestAuthorizeURL(t *testing.T) {
	w := newConn(t, nil)
	got := w.k.AuthorizeURL("st8", callback)
	u, err := url.Parse(got)
	if err != nil || u.Scheme+"://"+u.Host != w.srv.URL || u.Path != "/oauth2/authorize" {
		t.Fatalf("url %q", got)
	}
	q := u.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != clientID || q.Get("scope") != "identify guilds.join" ||
		q.Get("state") != "st8" || q.Get("redirect_uri") != callback || q.Get("prompt") != "consent" ||
		!strings.Contains(got, "scope=identify+guilds.join") {
		t.Fatalf("query %v", q)
	}
	resp, err := http.Get(got)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the consent page answers %d", resp.StatusCode)
	}
}

// A new member joins with roles and nick in one PUT; the token is revoked.
func TestLinkJoins(t *testing.T) {
	w := newConn(t, nil)
	member := w.role("Member")
	w.sim.SetGlobalName(w.user.ID, "Pilot One")
	n := w.hitCount()
	acct, err := w.k.Link(context.Background(), w.code(w.user.ID), callback,
		services.Want{Name: "Pilot", Groups: []string{"Member"}, Reason: "linked by the member"})
	if err != nil {
		t.Fatal(err)
	}
	if acct.ExternalID != w.user.ID || acct.ExternalName != "pilot (Pilot One)" || acct.State != formatState([]string{member.ID}) {
		t.Fatalf("account %+v", acct)
	}
	m, ok := w.sim.Member(w.guild.ID, w.user.ID)
	if !ok || m.Nick != "Pilot" || !slices.Equal(m.Roles, []string{member.ID}) {
		t.Fatalf("member %+v", m)
	}
	g := "/api/v10/guilds/" + w.guild.ID
	want := []string{"POST /api/v10/oauth2/token", "GET /api/v10/users/@me", "GET " + g,
		"PUT " + g + "/members/" + w.user.ID, "POST /api/v10/oauth2/token/revoke"}
	if got := w.requests(n); !slices.Equal(got, want) {
		t.Fatalf("requests\n%v\nwant\n%v", got, want)
	}
}

// A user already in the guild (204) is read and updated: wanted roles and
// the ones Keepstar leaves alone.
func TestLinkAlreadyMember(t *testing.T) {
	w := newConn(t, nil)
	old, friends, member := w.role("Old"), w.role("Friends"), w.role("Member")
	w.member(w.user, "", old, friends)
	acct, err := w.k.Link(context.Background(), w.code(w.user.ID), callback,
		services.Want{Name: "Pilot", Groups: []string{"Member"}, Keep: keep("Friends")})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := w.sim.Member(w.guild.ID, w.user.ID)
	if m.Nick != "Pilot" || acct.State != formatState([]string{friends.ID, member.ID}) || acct.State != formatState(m.Roles) {
		t.Fatalf("member %+v, account %+v", m, acct)
	}
	if w.sim.Requests("member get") != 1 || w.sim.Requests("member modify") != 1 {
		t.Fatalf("requests: %d gets, %d patches", w.sim.Requests("member get"), w.sim.Requests("member modify"))
	}
}

// Errors a member can act on carry a message for them, and their cause.
func TestLinkErrors(t *testing.T) {
	w := newConn(t, nil)
	ctx := context.Background()
	message := func(err error) string {
		t.Helper()
		var inv *i18n.InvalidError
		if !errors.As(err, &inv) || len(inv.Problems) != 1 {
			t.Fatalf("error %v has no message", err)
		}
		return inv.Problems[0].ID
	}
	_, err := w.k.Link(ctx, "nope", callback, services.Want{})
	if message(err) != "services.discord.link.error.code" || !errors.Is(err, ErrInvalidGrant) {
		t.Fatalf("bad code: %v", err)
	}
	w.sim.SetOtherGuilds(w.user.ID, discordsim.MaxGuildsPerUser)
	_, err = w.k.Link(ctx, w.code(w.user.ID), callback, services.Want{})
	if message(err) != "services.discord.link.error.max_guilds" || !errors.Is(err, ErrMaxGuilds) {
		t.Fatalf("100 guilds: %v", err)
	}
	w.sim.SetOtherGuilds(w.user.ID, 0)
	w.sim.Ban(w.guild.ID, w.user.ID)
	_, err = w.k.Link(ctx, w.code(w.user.ID), callback, services.Want{})
	if message(err) != "services.discord.link.error.banned" || !errors.Is(err, ErrBanned) {
		t.Fatalf("banned: %v", err)
	}
	other := w.sim.AddUser("other")
	if _, err := w.sim.AddRole(w.guild.ID, "Director", true); err != nil {
		t.Fatal(err)
	}
	_, err = w.k.Link(ctx, w.code(other.ID), callback, services.Want{Groups: []string{"Director"}})
	if message(err) != "services.discord.link.error.setup" || !errors.Is(err, ErrMissingPermissions) {
		t.Fatalf("role above the bot: %v", err)
	}
	code := w.code(other.ID)
	w.sim.SetOutage(http.StatusBadGateway)
	_, err = w.k.Link(ctx, code, callback, services.Want{})
	if message(err) != "services.discord.link.error.unavailable" || !errors.Is(err, services.ErrUnavailable) {
		t.Fatalf("outage: %v", err)
	}
	w.sim.SetOutage(0)
	wrong := w.open(map[string]string{SettingClientSecret: "wrong"})
	_, err = wrong.Link(ctx, w.code(other.ID), callback, services.Want{})
	if message(err) != "services.discord.link.error.setup" || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong secret: %v", err)
	}
}
