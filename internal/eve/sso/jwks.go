package sso

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// jwksRefetchInterval bounds how often a token naming an unknown kid makes
// the client fetch the JWKS again: a key rotation is found within a minute,
// and a flood of forged tokens cannot turn into a flood of fetches.
const jwksRefetchInterval = time.Minute

// verifyKey is a public key of the JWKS with the one algorithm it may
// verify: an RSA key never checks an ES256 or HMAC signature, and so on.
type verifyKey struct {
	alg string
	key crypto.PublicKey
}

// keyCache holds the JWKS. Its lock is held across a fetch on purpose: the
// validations that need keys must wait for them anyway, and one fetch
// serves them all.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]verifyKey // nil: never fetched successfully
	// refetched is when an unknown kid last made the client fetch again.
	refetched time.Time
}

// key finds the key a token names, fetching the JWKS the first time, and
// again for an unknown kid, at most once every jwksRefetchInterval.
func (c *Client) key(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	c.keys.mu.Lock()
	defer c.keys.mu.Unlock()
	k, ok := c.keys.keys[kid]
	first := c.keys.keys == nil
	if !ok && (first || c.keys.refetched.IsZero() || c.now().Sub(c.keys.refetched) >= jwksRefetchInterval) {
		if !first {
			// Counted before the fetch, so that failing fetches are
			// rate-limited too.
			c.keys.refetched = c.now()
		}
		keys, err := c.fetchJWKS(ctx)
		if err != nil {
			return nil, err
		}
		c.keys.keys = keys
		k, ok = keys[kid]
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
	}
	if k.alg != alg {
		return nil, fmt.Errorf("key %q is for %s, the token says %s", kid, k.alg, alg)
	}
	return k.key, nil
}

func (c *Client) fetchJWKS(ctx context.Context) (map[string]verifyKey, error) {
	m, err := c.Metadata(ctx)
	if err != nil {
		return nil, err
	}
	body, err := c.get(ctx, m.JWKSURI)
	if err != nil {
		return nil, fmt.Errorf("sso: JWKS: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("sso: JWKS: %w: %w", ErrUnavailable, err)
	}
	return keys, nil
}

// jwk is one key of a JWKS (RFC 7517), the fields EVE's carry.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS reads the signing keys of a JWKS: RSA keys (RS256) of 2048 bits
// or more and P-256 keys (ES256). Other keys are skipped, as the
// document's own SkipUnresolvedJsonWebKeys asks; a set without one usable
// key is an error.
func parseJWKS(b []byte) (map[string]verifyKey, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	out := map[string]verifyKey{}
	for _, k := range doc.Keys {
		if k.Kid == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		var vk verifyKey
		var err error
		switch {
		case k.Kty == "RSA" && (k.Alg == "" || k.Alg == "RS256"):
			vk.alg = "RS256"
			vk.key, err = rsaKey(k)
		case k.Kty == "EC" && k.Crv == "P-256" && (k.Alg == "" || k.Alg == "ES256"):
			vk.alg = "ES256"
			vk.key, err = ecKey(k)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.Kid, err)
		}
		out[k.Kid] = vk
	}
	if len(out) == 0 {
		return nil, errors.New("no usable signing key")
	}
	return out, nil
}

func rsaKey(k jwk) (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, fmt.Errorf("n: %w", err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, fmt.Errorf("e: %w", err)
	}
	if len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
		return nil, fmt.Errorf("weak RSA key (%d bits, e=%d)", pub.N.BitLen(), pub.E)
	}
	return pub, nil
}

func ecKey(k jwk) (*ecdsa.PublicKey, error) {
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(x) != 32 {
		return nil, errors.New("bad x")
	}
	y, err := base64.RawURLEncoding.DecodeString(k.Y)
	if err != nil || len(y) != 32 {
		return nil, errors.New("bad y")
	}
	// ParseUncompressedPublicKey checks that the point is on the curve.
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, fmt.Errorf("point: %w", err)
	}
	return pub, nil
}
