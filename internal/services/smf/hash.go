package smf

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptCost is SMF's bcrypt_hash_cost default.
const bcryptCost = 10

// input is what SMF 2.1 hashes: the lower-cased login name followed by
// the password, on its first 72 bytes as PHP's bcrypt does.
func input(memberName, password string) []byte {
	b := []byte(strings.ToLower(memberName) + password)
	if len(b) > 72 {
		b = b[:72]
	}
	return b
}

// Hash gives passwd as SMF 2.1's hash_password makes it: PHP's
// password_hash(PASSWORD_BCRYPT, cost 10) of strtolower(member_name) .
// password, a $2y$ hash (x/crypto's $2a$ with the prefix swapped: the
// same algorithm).
func Hash(memberName, password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(input(memberName, password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("smf: hash: %w", err)
	}
	return "$2y$" + strings.TrimPrefix(string(h), "$2a$"), nil
}

// Verify checks a password as SMF 2.1's hash_verify_password does.
func Verify(memberName, password, hash string) bool {
	if !strings.HasPrefix(hash, "$2y$") && !strings.HasPrefix(hash, "$2a$") {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte("$2a$"+hash[4:]), input(memberName, password)) == nil
}

// newSalt is a password_salt as SMF 2.1 makes it (32 hex digits). SMF's
// login cookies carry a hash of passwd and this salt: a new salt ends
// every one.
func newSalt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// unusableHash is a disabled member's passwd: no password matches it.
func unusableHash() string { return "!keepstar-disabled!" + rand.Text() }
