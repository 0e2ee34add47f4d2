package murmur

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// servantClient serves Servant(module, "w", a) and returns a raw Ice
// client to it, playing murmurd.
func servantClient(t *testing.T, module Module, a Authenticator) *ice.Client {
	t.Helper()
	prx := serveAuthenticator(t, module, "w", a)
	ep := prx.Endpoints[0]
	c, err := ice.Dial(t.Context(), net.JoinHostPort(ep.Host, strconv.Itoa(int(ep.Port))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var authID = ice.Identity{Name: "keepstar-authenticator"}

// TestServantGolden calls each ServerAuthenticator operation as murmurd
// does (mode idempotent, the secret in the context, parameters laid out as
// the slice says) and checks the result bytes: out-parameters first, the
// return value last.
func TestServantGolden(t *testing.T) {
	a := &testAuth{users: map[string]testUser{
		"Alice_Pilot": {id: 1000000001, pw: "s3cret", display: "[C] Alice", groups: []string{"Member", "corp-A"}},
	}}
	c := servantClient(t, ModuleMumbleServer, a)
	secret := map[string]string{"secret": "w"}
	for _, tc := range []struct {
		op, params, result string
	}{
		// authenticate(name, pw, certificates: one of 2 bytes, certhash, certstrong)
		{"authenticate", str("Alice_Pilot") + str("s3cret") + "01 02 abcd" + str("ff00") + "01",
			str("[C] Alice") + "02" + str("Member") + str("corp-A") + "01ca9a3b"},
		{"authenticate", str("Alice_Pilot") + str("nope") + "00" + str("") + "00", str("") + "00" + "ffffffff"},
		{"authenticate", str("Nobody") + str("x") + "00" + str("") + "00", str("") + "00" + "feffffff"},
		// getInfo(id) → out UserInfoMap (enum keys as bytes), bool
		{"getInfo", "01ca9a3b", "01 00" + str("Alice_Pilot") + "01"},
		{"getInfo", "07000000", "00 00"},
		{"nameToId", str("Alice_Pilot"), "01ca9a3b"},
		{"nameToId", str("Nobody"), "feffffff"},
		{"idToName", "01ca9a3b", str("Alice_Pilot")},
		{"idToName", "07000000", str("")},
		{"idToTexture", "01ca9a3b", "00"},
	} {
		status, out, err := c.Call(t.Context(), authID, tc.op, ice.ModeIdempotent, secret, h(t, tc.params))
		if err != nil || status != ice.StatusOK {
			t.Errorf("%s(%s): status %d, %v", tc.op, tc.params, status, err)
			continue
		}
		if want := h(t, tc.result); !bytes.Equal(out, want) {
			t.Errorf("%s(%s)\n got % x\nwant % x", tc.op, tc.params, out, want)
		}
	}
}

func TestServantRefusesWithoutTheSecret(t *testing.T) {
	a := &testAuth{users: map[string]testUser{"Alice_Pilot": {id: 1, pw: "s3cret"}}}
	for _, module := range []Module{ModuleMurmur, ModuleMumbleServer} {
		c := servantClient(t, module, a)
		for _, ctx := range []map[string]string{nil, {"secret": "W"}, {"secret": ""}, {"Secret": "w"}} {
			status, out, err := c.Call(t.Context(), authID, "authenticate", ice.ModeIdempotent, ctx,
				h(t, str("Alice_Pilot")+str("s3cret")+"00"+str("")+"00"))
			if err != nil || status != ice.StatusUserException {
				t.Fatalf("%s context %v: status %d, %v", module, ctx, status, err)
			}
			if !bytes.Equal(out, encodeException(module, "InvalidSecretException")) {
				t.Errorf("%s: refused with % x", module, out)
			}
			if err := decodeException(module, out); !errors.Is(err, ErrInvalidSecret) {
				t.Errorf("%s: %v", module, err)
			}
		}
	}
	if a.wasAsked("Alice_Pilot") {
		t.Error("the Authenticator was asked without the secret")
	}
}

func TestServantTypesAndRefusedOperations(t *testing.T) {
	c := servantClient(t, ModuleMumbleServer, &testAuth{})
	secret := map[string]string{"secret": "w"}
	isA := func(typeID string) bool {
		t.Helper()
		var p ice.Encoder
		p.String(typeID)
		status, out, err := c.Call(t.Context(), authID, "ice_isA", ice.ModeNonmutating, secret, p.Bytes())
		if err != nil || status != ice.StatusOK || len(out) != 1 {
			t.Fatalf("ice_isA(%s): %d % x %v", typeID, status, out, err)
		}
		return out[0] == 1
	}
	if !isA("::MumbleServer::ServerAuthenticator") || isA("::MumbleServer::ServerUpdatingAuthenticator") || isA("::Murmur::ServerAuthenticator") {
		t.Error("ice_isA must be true for ::MumbleServer::ServerAuthenticator only")
	}
	for _, op := range []string{"registerUser", "unregisterUser", "getRegisteredUsers", "setInfo", "setTexture", "drop"} {
		if status, _, err := c.Call(t.Context(), authID, op, ice.ModeNormal, secret, nil); status != ice.StatusOperationNotExist || err == nil {
			t.Errorf("%s: status %d, %v; want operation-not-exist", op, status, err)
		}
	}
	// The operations are idempotent; a call saying normal is refused, as
	// ZeroC's servants refuse it.
	params := h(t, str("a")+str("b")+"00"+str("")+"00")
	if status, _, err := c.Call(t.Context(), authID, "authenticate", ice.ModeNormal, secret, params); status != ice.StatusUnknownLocalException || err == nil {
		t.Errorf("authenticate in mode normal: status %d, %v", status, err)
	}
	if status, _, err := c.Call(t.Context(), authID, "authenticate", ice.ModeNonmutating, secret, params); status != ice.StatusOK || err != nil {
		t.Errorf("authenticate in mode nonmutating: status %d, %v", status, err)
	}
	// Parameters that do not decode are an unknown local exception,
	// not a crash nor an answer.
	for _, params := range []string{"", "05 4161", str("a") + str("b") + "00" + str("") + "02", str("a") + str("b") + "00" + str("") + "00 00"} {
		status, _, err := c.Call(t.Context(), authID, "authenticate", ice.ModeIdempotent, secret, h(t, params))
		if status != ice.StatusUnknownLocalException || err == nil {
			t.Errorf("authenticate(%s): status %d, %v", params, status, err)
		}
	}
}

// rangeAuth answers with whatever a test sets, to check the servant keeps
// murmurd's contract whatever an Authenticator returns.
type rangeAuth struct {
	id     int
	name   string
	groups []string
	info   UserInfo
}

func (a rangeAuth) Authenticate(context.Context, string, string, string, bool) (int, string, []string) {
	return a.id, a.name, a.groups
}
func (a rangeAuth) GetInfo(context.Context, int) (UserInfo, bool) { return a.info, true }
func (a rangeAuth) NameToID(context.Context, string) int          { return a.id }
func (a rangeAuth) IDToName(context.Context, int) string          { return a.name }
func (a rangeAuth) IDToTexture(context.Context, int) []byte       { return nil }

func TestServantKeepsTheContract(t *testing.T) {
	secret := map[string]string{"secret": "w"}
	params := h(t, str("a")+str("b")+"00"+str("")+"00")
	for _, tc := range []struct {
		a    rangeAuth
		want string
	}{
		// A refusal carries no name nor groups.
		{rangeAuth{id: -1, name: "x", groups: []string{"g"}}, str("") + "00 ffffffff"},
		// An id beyond the slice's int, or below -3, is a refusal.
		{rangeAuth{id: 1 << 40, name: "x"}, str("") + "00 ffffffff"},
		{rangeAuth{id: -7}, str("") + "00 ffffffff"},
		{rangeAuth{id: -3}, str("") + "00 fdffffff"},
		// Invalid UTF-8 is replaced, since Ice strings are UTF-8.
		{rangeAuth{id: 1, name: "a\xff"}, "04 61efbfbd 00 01000000"},
	} {
		c := servantClient(t, ModuleMurmur, tc.a)
		status, out, err := c.Call(t.Context(), authID, "authenticate", ice.ModeIdempotent, secret, params)
		if err != nil || status != ice.StatusOK {
			t.Fatalf("%+v: %d, %v", tc.a, status, err)
		}
		if want := h(t, tc.want); !bytes.Equal(out, want) {
			t.Errorf("%+v answered % x, want % x", tc.a, out, want)
		}
	}
	// getInfo leaves out keys that are not UserInfo enumerators.
	c := servantClient(t, ModuleMurmur, rangeAuth{info: UserInfo{UserEmail: "a@b", 99: "x", -1: "y"}})
	status, out, err := c.Call(t.Context(), authID, "getInfo", ice.ModeIdempotent, secret, h(t, "01000000"))
	if err != nil || status != ice.StatusOK {
		t.Fatal(status, err)
	}
	if want := h(t, "01 01"+str("a@b")+"01"); !bytes.Equal(out, want) {
		t.Errorf("getInfo answered % x, want % x", out, want)
	}
}
