package sso

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
)

// FuzzClaims feeds the claims decoding and checks (what follows a valid
// signature) arbitrary payloads: no panic, and whatever is accepted names a
// real character id and holds no empty scope.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"CHARACTER:EVE:123123","name":"Some Bloke","owner":"8PmzCeTKb4VFUDrHLc/AeZXDSWM=","exp":1648563218,"scp":["a","b"]}`,
		`{"sub":"CHARACTER:EVE:1","name":"x","owner":"y","exp":1,"scp":"publicData"}`,
		`{"sub":"CHARACTER:EVE:1","name":"x","owner":"y","exp":1,"scp":null}`,
		`{"sub":"CHARACTER:EVE:-1","name":"x","owner":"y","exp":1}`,
		`{"sub":"CHARACTER:EVE:01","scp":[1,2]}`,
		`{"sub":"CORPORATION:EVE:98000001","scp":""}`,
		`{"scp":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var rc rawClaims
		if err := json.Unmarshal(payload, &rc); err != nil {
			return
		}
		c, err := toClaims(&rc)
		if err != nil {
			return
		}
		if c.CharacterID <= 0 || rc.Subject != subjectPrefix+strconv.Itoa(int(c.CharacterID)) {
			t.Fatalf("accepted subject %q as character %d", rc.Subject, c.CharacterID)
		}
		if c.Owner == "" || c.Name == "" || slices.Contains(c.Scopes, "") {
			t.Fatalf("accepted claims %+v", c)
		}
	})
}

// FuzzScopeList checks scp decoding alone against a plain reading of the
// JSON: a string is one scope, an array of strings is the scopes.
func FuzzScopeList(f *testing.F) {
	for _, s := range []string{`"a"`, `["a","b"]`, `null`, `""`, `[]`, `[""]`, `5`, `{"a":"b"}`, `["a",1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got scopeList
		err := json.Unmarshal(b, &got)
		var one string
		var many []string
		switch {
		case json.Unmarshal(b, &one) == nil && string(b) != "null":
			if err != nil || (one == "" && len(got) != 0) || (one != "" && !slices.Equal(got, []string{one})) {
				t.Fatalf("%s: got %q, %v", b, got, err)
			}
		case json.Unmarshal(b, &many) == nil:
			want := slices.DeleteFunc(many, func(s string) bool { return s == "" })
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("%s: got %q, %v; want %q", b, got, err, want)
			}
		default:
			if err == nil {
				t.Fatalf("%s: accepted as %q", b, got)
			}
		}
	})
}

// FuzzParseJWKS: a JWKS comes from the network; parsing one must never
// panic, and every key it gives is one of the two algorithms allowed.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"e","x":"","y":""}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseJWKS(b)
		if err != nil {
			return
		}
		for kid, k := range keys {
			if k.alg != "RS256" && k.alg != "ES256" {
				t.Fatalf("key %q for %s", kid, k.alg)
			}
		}
	})
}
