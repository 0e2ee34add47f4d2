package teamspeak3

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/teamspeaksim"
)

// openWeb opens a connector on the simulated server's WebQuery.
func openWeb(t *testing.T, s *sim, key string, allowlisted bool) *Connector {
	t.Helper()
	host, port := splitAddr(t, strings.TrimPrefix(s.web, "http://"))
	return open(t, s, Options{}, func(m map[string]string) {
		m[SettingTransport], m[SettingHost], m[SettingQueryPort], m[SettingAPIKey] = TransportHTTP, host, port, key
		delete(m, SettingQueryUser)
		delete(m, SettingQueryPassword)
		if allowlisted {
			m[SettingAllowlisted] = "true"
		}
	})
}

// The whole flow over WebQuery: the checks, a key, the client found, its
// groups (names needing escaping in ServerQuery travel as they are), its
// removal; a wrong API key is named by the checks.
func TestWebQueryTransport(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	for _, g := range []string{"Member", "Fleet Commanders", "A|B", `Back\slash`, "Пилоты"} {
		s.AddGroup(g, teamspeaksim.GroupRegular)
	}
	k := openWeb(t, s, webKey, false)
	if ps, err := k.Check(ctx, []string{"Fleet Commanders"}); err != nil || len(ps) != 0 {
		t.Fatalf("check: %v %+v", err, ps)
	}
	want := services.Want{Name: "[A|B] Пилот", Groups: []string{"A|B", "Back\\slash", "Fleet Commanders", "Member", "Пилоты"}}
	acct, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	keys := s.Keys()
	if len(keys) != 1 || keys[0].CustomSet != "ident=keepstar_id value="+acct.ExternalID {
		t.Fatalf("keys %+v", keys)
	}
	dbid, _, err := s.Redeem(keyOf(t, k, acct), want.Name)
	if err != nil {
		t.Fatal(err)
	}
	if acct, err = k.Apply(ctx, acct, want); err != nil {
		t.Fatal(err)
	}
	if got := s.ClientGroups(dbid); !slices.Equal(got, want.Groups) || acct.ExternalName != want.Name {
		t.Fatalf("groups %q, name %q", got, acct.ExternalName)
	}
	if _, err := s.Connect(dbid); err != nil {
		t.Fatal(err)
	}
	if err := k.Remove(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.ClientByDBID(dbid); ok || s.Online(dbid) {
		t.Fatal("the client is still there after its removal")
	}
	if st := s.Stats(); st.Floods != 0 || st.Commands["login"] != 0 {
		t.Fatalf("stats %+v", st)
	}

	bad := openWeb(t, s, "wrong-key", false)
	ps, err := bad.Check(ctx, nil)
	if err != nil || len(ps) != 1 || ps[0].Message != "services.teamspeak3.problem.api_key" {
		t.Fatalf("wrong key: %v %+v", err, ps)
	}
	if _, err := bad.Invite(ctx, want); !errors.Is(err, ErrAPIKey) {
		t.Fatalf("invite with a wrong key: %v", err)
	}
}

// WebQuery's requests count against the anti-flood rule as commands do;
// the limiter keeps them within it.
func TestWebQueryLimiter(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	k := openWeb(t, s, webKey, false)
	for range 40 {
		if _, err := k.Groups(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Floods != 0 || st.Total() != 80 {
		t.Fatalf("stats %+v", st)
	}
	// Without the limiter the server refuses the 11th request.
	s.clk.Advance(FloodWindow)
	fast := openWeb(t, s, webKey, true)
	var err error
	for range 6 {
		if _, err = fast.Groups(ctx); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrFlooding) {
		t.Fatalf("without the limiter: %v", err)
	}
}

// Any WebQuery answer: items or an error, never a panic.
func FuzzDecodeWebQuery(f *testing.F) {
	for _, s := range []string{`{"body":[{"sgid":"9","name":"A|B"}],"status":{"code":0,"message":"ok"}}`,
		`{"status":{"code":1281,"message":"database empty result set"}}`, `{"body":[{"n":1,"o":{"a":[1]}}],"status":{"code":0}}`,
		`{}`, `[]`, `null`, `{"status":null}`, `{"body":[null],"status":{"code":0}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := decodeWebQuery(b)
		if err == nil && items == nil {
			t.Fatal("no items and no error")
		}
	})
}
