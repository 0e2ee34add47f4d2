// Package testenv names the outside servers Keepstar's tests may use, each
// switched on by an environment variable, and tells a developer once per
// `go test ./...` run which groups of tests were skipped for want of one.
//
// `go test ./...` shows a passing package's output only with -v, so the
// skips the tests report (t.Skip) are invisible in the usual run. The notice
// is written by this package's own test (which every `./...` run includes)
// straight to the go command's standard error, the terminal or log the
// developer reads.
package testenv

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Server is an outside server a group of tests needs.
type Server struct {
	// Tests says what is skipped without it.
	Tests string
	// Env is the variable naming it; Example a value that works on a
	// developer machine.
	Env, Example string
}

// Servers lists every variable a test reads to reach an outside server.
// A test package adding one adds it here, so the notice stays complete.
var Servers = []Server{
	{Tests: "PostgreSQL store tests (every store test runs on SQLite only)", Env: "KEEPSTAR_TEST_POSTGRES_URL",
		Example: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	{Tests: "MariaDB tests", Env: "KEEPSTAR_TEST_MARIADB_DSN", Example: "root@tcp(127.0.0.1:3306)/test"},
	{Tests: "browser tests", Env: "KEEPSTAR_TEST_CHROMIUM", Example: "/usr/bin/chromium"},
	{Tests: "Mumble server (murmurd) tests", Env: "KEEPSTAR_TEST_MURMURD", Example: "/usr/sbin/murmurd"},
	{Tests: "Mumble Ice tests against ZeroC's own Ice (Python)", Env: "KEEPSTAR_TEST_ZEROC_PYTHON", Example: "/usr/bin/python3"},
	{Tests: "forum password hashes checked by PHP's password_verify", Env: "KEEPSTAR_TEST_PHP", Example: "/usr/bin/php"},
	{Tests: "XMPP tests against the real ejabberd", Env: "KEEPSTAR_TEST_EJABBERD", Example: "/usr/sbin/ejabberdctl"},
}

// Off lists the servers whose variable is unset, per getenv.
func Off(getenv func(string) string) []Server {
	var off []Server
	for _, s := range Servers {
		if getenv(s.Env) == "" {
			off = append(off, s)
		}
	}
	return off
}

// WriteNotice writes the notice for the servers that are off, nothing when
// none is.
func WriteNotice(w io.Writer, off []Server) error {
	if len(off) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("\nkeepstar: some tests were skipped; each group runs when its variable is set:\n")
	for _, s := range off {
		fmt.Fprintf(&b, "  %-62s %s=%s\n", s.Tests, s.Env, s.Example)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Announce writes the notice to the go command's standard error, once per
// run of the go command, when the test binary is run by one (on Linux, its
// parent); elsewhere it writes nothing and `go test -v` still shows each
// skip. The go command runs test binaries of several packages at once: a
// file in the temporary folder, named by the go command's process and start
// time, lets only the first write.
func Announce() {
	off := Off(os.Getenv)
	if len(off) == 0 {
		return
	}
	parent := os.Getppid()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", parent))
	if err != nil {
		return
	}
	name, started, ok := processStart(string(stat))
	if !ok || name != "go" {
		return
	}
	marker := fmt.Sprintf("%s/keepstar-test-notice-%d-%s", os.TempDir(), parent, started)
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return // written already, or nowhere to keep the marker
	}
	f.Close()
	stderr, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", parent), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer stderr.Close()
	_ = WriteNotice(stderr, off) // a notice that cannot be written changes no result
}

// processStart reads a process's command name and start time (in clock
// ticks since boot) from its /proc/PID/stat line: "PID (NAME) STATE PPID …",
// the start time being the 22nd field. The name may hold spaces and
// parentheses, so the fields are counted from its last ")".
func processStart(stat string) (name, started string, ok bool) {
	open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return "", "", false
	}
	fields := strings.Fields(stat[end+1:])
	// fields[0] is the 3rd field (state), so the 22nd is fields[19].
	if len(fields) < 20 {
		return "", "", false
	}
	return stat[open+1 : end], fields[19], true
}
