package mumbletest

import (
	"os"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/murmurd"
)

// EnvMurmurd names the environment variable holding the murmurd binary's
// path (e.g. /usr/sbin/murmurd); tests needing the real server skip without
// it.
const EnvMurmurd = "KEEPSTAR_TEST_MURMURD"

// Secret is the icesecretwrite every started murmurd has: the Ice context
// "secret" calls must carry.
const Secret = "keepstar-test-secret"

// Options change the server a test starts.
type Options struct {
	// ServerPassword, when set, is the password every client must give
	// (the ini's serverpassword).
	ServerPassword string
	// Ini holds extra ini lines ("key=value"), written after Keepstar's
	// own, e.g. "autobanAttempts=0" for tests that fail many logins.
	Ini []string
}

// Murmurd is a running murmurd: its Ice endpoint and its virtual server 1's
// voice (TLS control and UDP) port, both on 127.0.0.1.
type Murmurd struct {
	// IceAddr is host:port of the Ice endpoint (the Meta object).
	IceAddr string
	// VoiceAddr is host:port of server 1, where Mumble clients connect.
	VoiceAddr string
	// Secret is the Ice write secret (the package's Secret).
	Secret string

	p *murmurd.Process
}

// Start runs murmurd for the test (package murmurd): in the foreground, on
// loopback, with random free Ice and voice ports, a temporary ini and
// SQLite database and the write secret Secret. It returns once virtual
// server 1 listens, and stops murmurd at the test's end. Without
// KEEPSTAR_TEST_MURMURD it skips the test.
func Start(t testing.TB, opts Options) *Murmurd {
	t.Helper()
	bin := os.Getenv(EnvMurmurd)
	if bin == "" {
		t.Skipf("set %s to the murmurd binary (e.g. /usr/sbin/murmurd) to test against the real Mumble server", EnvMurmurd)
	}
	p, err := murmurd.Start(t.Context(), murmurd.Options{
		Bin: bin, Dir: t.TempDir(), Secret: Secret,
		ServerPassword: opts.ServerPassword, Ini: opts.Ini,
	})
	if p != nil {
		t.Cleanup(p.Stop)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &Murmurd{IceAddr: p.IceAddr, VoiceAddr: p.VoiceAddr, Secret: Secret, p: p}
}

// Log returns what the running (or last) murmurd process printed.
func (m *Murmurd) Log() string { return m.p.Log() }

// Stop stops murmurd (SIGTERM) and waits for it to exit. Calling it again,
// or on a stopped server, does nothing.
func (m *Murmurd) Stop(t testing.TB) {
	t.Helper()
	m.p.Stop()
}

// Restart stops murmurd and starts it again on the same ports, ini and
// database, returning once server 1 listens again. Ice connections to the
// old process end; clients must reconnect.
func (m *Murmurd) Restart(t testing.TB) {
	t.Helper()
	if err := m.p.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
}
