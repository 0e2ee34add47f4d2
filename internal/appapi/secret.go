package appapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/keepstar/keepstar/internal/secrets"
)

// An app secret is 256 random bits: nobody guesses it, so its hash needs no
// slowness against guessing, only a key, so that a copy of the database
// alone checks no guess. It is stored as HMAC-SHA256 under a key derived
// from KEEPSTAR_SECRET_KEY, which costs a microsecond to check, a wrong
// secret included (docs/decisions/0020-app-secrets-hmac.md). Secrets made
// before were hashed with argon2id (a PHC string); they still work, and
// the first request that proves one stores its HMAC instead.
const (
	// hmacPrefix begins a stored HMAC: "$hmac-sha256$" and the sum in
	// unpadded standard base64. An argon2id hash begins "$argon2id$".
	hmacPrefix = "$hmac-sha256$"
	// SecretPurpose is what the HMAC's key is derived for.
	SecretPurpose = "app secrets"
)

// ErrNoSecretKey is returned by a Store made without a usable secret key
// when it would make or check a secret.
var ErrNoSecretKey = errors.New("apps: no secret key to hash app secrets with")

// macMessage is what the HMAC of an app's secret is taken of: the app's id
// with its secret, as the bearer token holds them, so that a hash copied
// to another app's row does not let that app's requests in.
func macMessage(id int64, secret string) string {
	return strconv.FormatInt(id, 10) + ":" + secret
}

// hashSecret gives the stored form of an app's secret.
func hashSecret(mac *secrets.MAC, id int64, secret string) string {
	sum := mac.Sum(macMessage(id, secret))
	return hmacPrefix + base64.RawStdEncoding.EncodeToString(sum[:])
}

// newSecret makes an app secret (64 hexadecimal characters, as Neucore's)
// and its stored HMAC.
func newSecret(mac *secrets.MAC, id int64) (secret, hash string, err error) {
	b := make([]byte, secretByteCount)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("apps: new secret: %w", err)
	}
	secret = hex.EncodeToString(b)
	return secret, hashSecret(mac, id, secret), nil
}

// isHMAC reports whether a stored hash is an HMAC (else it is a legacy
// argon2id hash, or none).
func isHMAC(hash string) bool { return strings.HasPrefix(hash, hmacPrefix) }

var errBadHash = errors.New("apps: not a hash of an app secret")

// verifyHMAC reports whether secret is app id's secret under a stored HMAC.
func verifyHMAC(mac *secrets.MAC, id int64, secret, hash string) (bool, error) {
	sum, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(hash, hmacPrefix))
	if err != nil || len(sum) != secrets.MACSize {
		return false, errBadHash
	}
	return mac.Verify(macMessage(id, secret), sum), nil
}

// verifyArgon2 reports whether secret matches a legacy argon2id hash in
// the PHC format, with the parameters the hash names.
func verifyArgon2(secret, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil || memory == 0 || time == 0 || threads == 0 {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(secret), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
