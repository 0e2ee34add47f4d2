package phpbb3

import (
	"crypto/rand"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptCost is phpBB's passwords.driver.bcrypt_cost.
const bcryptCost = 10

// Hash gives the password's hash as phpBB's default bcrypt_2y driver
// writes it: bcrypt at cost 10 with the $2y$ prefix. x/crypto writes $2a$,
// the same algorithm (PHP's crypt treats both alike for passwords without
// the 2a bug's 8-bit edge case, which $2y$ marks as fixed and x/crypto
// never had), so only the prefix is swapped. Passwords longer than 72
// bytes are hashed on their first 72, as PHP's password_hash does
// (x/crypto refuses them instead).
func Hash(password string) (string, error) {
	b := []byte(password)
	if len(b) > 72 {
		b = b[:72]
	}
	h, err := bcrypt.GenerateFromPassword(b, bcryptCost)
	if err != nil {
		return "", fmt.Errorf("phpbb3: hash: %w", err)
	}
	return "$2y$" + strings.TrimPrefix(string(h), "$2a$"), nil
}

// Verify checks a password against a phpBB bcrypt hash ($2y$ or $2a$),
// as phpBB's bcrypt drivers do.
func Verify(hash, password string) bool {
	if !strings.HasPrefix(hash, "$2y$") && !strings.HasPrefix(hash, "$2a$") {
		return false
	}
	b := []byte(password)
	if len(b) > 72 {
		b = b[:72]
	}
	return bcrypt.CompareHashAndPassword([]byte("$2a$"+hash[4:]), b) == nil
}

// unusableHash is what a disabled user's password becomes: no password
// matches it, as it is not a hash any of phpBB's drivers can produce (a
// random string under a marker no driver claims), so every login fails.
func unusableHash() string {
	return "!keepstar-disabled!" + rand.Text()
}
