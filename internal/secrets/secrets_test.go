package secrets

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

var key = []byte("0123456789abcdefghijklmnopqrstuvwxyz")

func box(t *testing.T, k []byte, purpose string) *Box {
	t.Helper()
	b, err := New(k, purpose)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := box(t, key, "tokens")
	secret := "refresh-token-abc123/+="
	sealed := b.Seal(secret, "character:90000001")
	if strings.Contains(sealed, secret) || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed value %q shows the secret or lacks the version", sealed)
	}
	if again := b.Seal(secret, "character:90000001"); again == sealed {
		t.Error("two seals of one value are equal: nonce reused")
	}
	got, err := b.Open(sealed, "character:90000001")
	if err != nil || got != secret {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestRefusals(t *testing.T) {
	b := box(t, key, "tokens")
	sealed := b.Seal("secret", "row:1")
	cases := map[string]func() (string, error){
		"other row":     func() (string, error) { return b.Open(sealed, "row:2") },
		"other purpose": func() (string, error) { return box(t, key, "passwords").Open(sealed, "row:1") },
		"other key": func() (string, error) {
			return box(t, []byte("another-key-of-at-least-32-bytes!!"), "tokens").Open(sealed, "row:1")
		},
		"tampered":   func() (string, error) { return b.Open(sealed[:len(sealed)-2]+"AA", "row:1") },
		"truncated":  func() (string, error) { return b.Open("v1:AAAA", "row:1") },
		"no version": func() (string, error) { return b.Open(strings.TrimPrefix(sealed, "v1:"), "row:1") },
		"not base64": func() (string, error) { return b.Open("v1:***", "row:1") },
	}
	for name, open := range cases {
		if _, err := open(); !errors.Is(err, ErrUndecryptable) {
			t.Errorf("%s: err = %v, want ErrUndecryptable", name, err)
		}
	}
	if _, err := New([]byte("short"), "x"); err == nil {
		t.Error("short key accepted")
	}
}

// flipByte changes one bit of the sealed bytes (not of their text form,
// where a change might land in unused padding bits).
func flipByte(t *testing.T, sealed string) string {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	return "v1:" + base64.RawStdEncoding.EncodeToString(raw)
}

func FuzzOpen(f *testing.F) {
	b, err := New(key, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b.Seal("x", ""))
	f.Add("v1:")
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := b.Open(s, ""); err != nil && !errors.Is(err, ErrUndecryptable) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

// TestMAC: the MAC is HMAC-SHA256 under the key derived for its purpose
// (the same derivation as a Box's): another purpose or another secret
// key gives another sum, and Verify tells the sum of its message apart.
func TestMAC(t *testing.T) {
	m, err := NewMAC(key, "apps")
	if err != nil {
		t.Fatal(err)
	}
	derived, err := hkdf.Key(sha256.New, key, nil, "keepstar apps", 32)
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, derived)
	h.Write([]byte("7:secret"))
	want := h.Sum(nil)
	sum := m.Sum("7:secret")
	if !bytes.Equal(sum[:], want) {
		t.Errorf("sum %x, want HMAC-SHA256 under the derived key %x", sum, want)
	}
	if again := m.Sum("7:secret"); again != sum {
		t.Error("two sums of one message differ (a reused hash was not reset)")
	}
	if !m.Verify("7:secret", sum[:]) || m.Verify("7:secrex", sum[:]) || m.Verify("7:secret", sum[:31]) {
		t.Error("Verify does not tell the message's sum apart")
	}
	other, _ := NewMAC(key, "tokens")
	otherKey, _ := NewMAC([]byte("another-secret-key-of-enough-bytes!!"), "apps")
	for _, o := range []*MAC{other, otherKey} {
		if o.Verify("7:secret", sum[:]) {
			t.Error("a sum verifies under another purpose or secret key")
		}
	}
	if _, err := NewMAC([]byte("short"), "apps"); err == nil {
		t.Error("a short secret key was taken")
	}
}
