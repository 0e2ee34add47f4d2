package sso

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
)

// SigningKeyID is the kid of the RSA key that signs every access token, the
// name EVE SSO gives it.
const SigningKeyID = "JWT-Signature-Key"

// jwk is one key of the JWKS, in the shape the real one has.
type jwk struct {
	Alg string `json:"alg"`
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	// RSA
	E string `json:"e,omitempty"`
	N string `json:"n,omitempty"`
	// EC
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

type jwksDoc struct {
	Keys []jwk `json:"keys"`
	// SkipUnresolvedJsonWebKeys is in the real document (a .NET library's
	// setting leaking out); kept for faithfulness.
	SkipUnresolvedJSONWebKeys bool `json:"SkipUnresolvedJsonWebKeys"`
}

// keySet holds the simulator's keys. The ES256 key is published, as the real
// SSO publishes one, but the simulator signs only with the RSA key, as the
// real one does.
type keySet struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	jwks jwksDoc
}

func newKeySet(signing *rsa.PrivateKey) (*keySet, error) {
	var err error
	if signing == nil {
		if signing, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("sso simulator: RSA key: %w", err)
		}
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sso simulator: EC key: %w", err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	ecPub, err := ec.PublicKey.Bytes() // 0x04 || X || Y, 32 bytes each
	if err != nil {
		return nil, fmt.Errorf("sso simulator: EC key: %w", err)
	}
	return &keySet{rsa: signing, ec: ec, jwks: jwksDoc{
		Keys: []jwk{
			{
				Alg: "RS256", Kty: "RSA", Kid: SigningKeyID, Use: "sig",
				E: b64(big.NewInt(int64(signing.E)).Bytes()), N: b64(signing.N.Bytes()),
			},
			{Alg: "ES256", Kty: "EC", Kid: newUUID(), Use: "sig", Crv: "P-256", X: b64(ecPub[1:33]), Y: b64(ecPub[33:])},
		},
		SkipUnresolvedJSONWebKeys: true,
	}}, nil
}

// newUUID gives a random (version 4) UUID, as jti and the EC key id are.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
