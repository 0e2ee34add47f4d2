package murmur

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
)

// selfSigned makes a client certificate as Mumble clients do (self-signed).
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Alice_Pilot"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestMurmurdCertificateHash: a login with a client certificate reaches the
// authenticator with the certificate's SHA-1 in hex, not strong (not signed
// by a trusted CA), as murmurd computes it.
func TestMurmurdCertificateHash(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	ctx := t.Context()
	s, err := dialMurmurd(t, srv).Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	auth := &testAuth{users: map[string]testUser{"Alice_Pilot": {id: 42, pw: "s3cret"}}}
	if err := s.SetAuthenticator(ctx, serveAuthenticator(t, ModuleMurmur, srv.Secret, auth)); err != nil {
		t.Fatal(err)
	}
	cert := selfSigned(t)
	c, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Alice_Pilot", "s3cret", mumbletest.WithCertificate(cert))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sum := sha1.Sum(cert.Certificate[0])
	if got, want := auth.certHash("Alice_Pilot"), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("certificate hash %q, want %q", got, want)
	}
	if u, _ := c.User(c.Session()); u.UserID != 42 {
		t.Errorf("own user id %d, want 42", u.UserID)
	}
}
