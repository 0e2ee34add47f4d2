// Package secrets encrypts the secrets Keepstar keeps at rest (refresh
// tokens, service passwords, application secrets it must read back) with a
// key derived from KEEPSTAR_SECRET_KEY. Secrets Keepstar only needs to
// check, such as application API secrets, are hashed elsewhere instead.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
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
	if len(secretKey) < 32 {
		return nil, fmt.Errorf("secrets: key of %d bytes; need at least 32", len(secretKey))
	}
	key, err := hkdf.Key(sha256.New, secretKey, nil, "keepstar "+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("secrets: derive key: %w", err)
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
