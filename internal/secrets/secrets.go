// Package secrets encrypts the secrets Keepstar keeps at rest (refresh
// tokens, service passwords, application secrets it must read back) with a
// key derived from KEEPSTAR_SECRET_KEY, and computes keyed hashes (MAC)
// under such keys for secrets Keepstar only needs to check, such as
// application API secrets.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// ErrUndecryptable means a value was not made by this Box's key: tampered,
// truncated, or encrypted under another KEEPSTAR_SECRET_KEY.
var ErrUndecryptable = errors.New("secrets: cannot decrypt (wrong KEEPSTAR_SECRET_KEY or damaged value)")

// version prefixes every sealed value so the format can change later.
const version = "v1:"

// Box seals and opens secrets with AES-256-GCM.
type Box struct {
	aead cipher.AEAD
}

// New derives the encryption key from the configured secret key. purpose
// separates keys used for different things, so that a value sealed for one
// purpose never opens as another.
func New(secretKey []byte, purpose string) (*Box, error) {
	key, err := derive(secretKey, purpose)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Box{aead: aead}, nil
}

// derive gives the 32-byte key of purpose under the configured secret key.
func derive(secretKey []byte, purpose string) ([]byte, error) {
	if len(secretKey) < 32 {
		return nil, fmt.Errorf("secrets: key of %d bytes; need at least 32", len(secretKey))
	}
	key, err := hkdf.Key(sha256.New, secretKey, nil, "keepstar "+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("secrets: derive key: %w", err)
	}
	return key, nil
}

// Seal encrypts plaintext. additional binds the value to its place (a row's
// id, say), so a sealed value copied to another row does not open there.
func (b *Box) Seal(plaintext, additional string) string {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	sealed := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(additional))
	return version + base64.RawStdEncoding.EncodeToString(sealed)
}

// Open decrypts a value made by Seal with the same additional data.
func (b *Box) Open(sealed, additional string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return "", ErrUndecryptable
	}
	data, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(data) < b.aead.NonceSize() {
		return "", ErrUndecryptable
	}
	nonce, ciphertext := data[:b.aead.NonceSize()], data[b.aead.NonceSize():]
	plain, err := b.aead.Open(nil, nonce, ciphertext, []byte(additional))
	if err != nil {
		return "", ErrUndecryptable
	}
	return string(plain), nil
}

// MAC computes HMAC-SHA256 under a key derived from the configured secret
// key: a hash of a secret that only a holder of KEEPSTAR_SECRET_KEY can
// compute, so that a copy of the database alone does not let anyone test
// guesses against it. It suits secrets that are already random and long
// (an app's 256 bits): those need no slow hash against guessing, and a
// fast one costs a flood of wrong guesses next to nothing.
type MAC struct {
	// hashes keeps keyed hashes for reuse: a new one costs allocations
	// and the key's two block computations.
	hashes sync.Pool
}

// NewMAC derives the MAC's key for purpose from the configured secret key;
// purpose separates it from every other key derived from it.
func NewMAC(secretKey []byte, purpose string) (*MAC, error) {
	key, err := derive(secretKey, purpose)
	if err != nil {
		return nil, err
	}
	m := &MAC{}
	m.hashes.New = func() any { return hmac.New(sha256.New, key) }
	return m, nil
}

// MACSize is the length of a MAC's sum in bytes.
const MACSize = sha256.Size

// Sum gives the MAC of message.
func (m *MAC) Sum(message string) [MACSize]byte {
	h := m.hashes.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(message))
	var sum [MACSize]byte
	h.Sum(sum[:0])
	m.hashes.Put(h)
	return sum
}

// Verify reports whether sum is the MAC of message, in time that does not
// depend on where they differ.
func (m *MAC) Verify(message string, sum []byte) bool {
	want := m.Sum(message)
	return hmac.Equal(want[:], sum)
}
