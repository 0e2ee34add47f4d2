package demo

import (
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTemporaryFolderIsRemoved(t *testing.T) {
	site, err := Prepare("", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	site.Close()
	if !site.Temp {
		t.Fatal("no -dir given, yet the folder is not temporary")
	}
	if _, err := os.Stat(filepath.Join(site.Dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	site.Cleanup()
	if _, err := os.Stat(site.Dir); !os.IsNotExist(err) {
		t.Errorf("temporary folder left behind: %v", err)
	}
}

func TestGivenFolderKeepsItsKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	first, err := Prepare(dir, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	first.Cleanup()
	second, err := Prepare(dir, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	second.Close()
	if first.Settings["KEEPSTAR_SECRET_KEY"] != second.Settings["KEEPSTAR_SECRET_KEY"] || len(first.Settings["KEEPSTAR_SECRET_KEY"]) < 32 {
		t.Error("the demo folder's secret key changed or is too short")
	}
	if second.Settings["KEEPSTAR_DATABASE_URL"] != "sqlite:"+filepath.Join(dir, "keepstar.db") {
		t.Errorf("database = %s", second.Settings["KEEPSTAR_DATABASE_URL"])
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(dir, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"); err == nil {
		t.Error("an unusable key file was accepted")
	}
}

// When something else has port 8080, the demo takes a free port instead of
// failing; an explicit -listen that is taken is an error.
func TestBusyDefaultPort(t *testing.T) {
	if ln, err := net.Listen("tcp", DefaultListen); err == nil {
		defer ln.Close()
	}
	site, err := Prepare(t.TempDir(), "", "127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	if site.Listener.Addr().String() == DefaultListen {
		t.Fatal("got the busy port")
	}
	if site.Settings["KEEPSTAR_BASE_URL"] != "http://"+site.Listener.Addr().String() {
		t.Errorf("base URL %s does not follow the port", site.Settings["KEEPSTAR_BASE_URL"])
	}
	if _, err := Prepare(t.TempDir(), site.Listener.Addr().String(), "127.0.0.1:0", "127.0.0.1:0"); err == nil {
		t.Error("a taken -listen address was accepted")
	}
}

// -evesim-listen sets the simulator's address, which the site's EVE
// settings follow; one that is taken is an error, not another port.
func TestSimulatorAddress(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	site, err := Prepare(t.TempDir(), "127.0.0.1:0", addr, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	if got := site.SimListener.Addr().String(); got != addr {
		t.Fatalf("simulator on %s, want %s", got, addr)
	}
	for _, k := range []string{"KEEPSTAR_EVE_SSO_URL", "KEEPSTAR_ESI_URL"} {
		if site.Settings[k] != "http://"+addr {
			t.Errorf("%s = %s, want the simulator's http://%s", k, site.Settings[k], addr)
		}
	}
	_, err = Prepare(t.TempDir(), "127.0.0.1:0", addr, "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "-evesim-listen "+addr) {
		t.Errorf("a taken -evesim-listen address: %v", err)
	}
}

// -discord-listen sets the simulated Discord's address; one that is taken is
// an error, not another port.
func TestDiscordAddress(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	site, err := Prepare(t.TempDir(), "127.0.0.1:0", "127.0.0.1:0", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	if got := site.DiscordListener.Addr().String(); got != addr {
		t.Fatalf("simulated Discord on %s, want %s", got, addr)
	}
	_, err = Prepare(t.TempDir(), "127.0.0.1:0", "127.0.0.1:0", addr)
	if err == nil || !strings.Contains(err.Error(), "-discord-listen "+addr) {
		t.Errorf("a taken -discord-listen address: %v", err)
	}
}

// The hints of member tracking, the watchlists and EVE mail show on their
// pages once the seed has filled what they name, and not before (a
// universe with nothing to watch seeds no watchlist).
func TestMemberAppHints(t *testing.T) {
	seeded := Guide{Corporation: "Corp", CorpGroup: "Corp", Director: "Dir", MailSender: "Dir", MailsPage: "http://sim/control/mails",
		Watchlist: WatchlistName, Watched: "Enemies"}
	for path, id := range map[string]string{"/tracking": "demo.hint.tracking", "/watchlists": "demo.hint.watchlists",
		"/admin/evemail": "demo.hint.evemail"} {
		r := httptest.NewRequest("GET", path, nil)
		hs := seeded.Hints(r)
		if len(hs) != 1 || hs[0].Message != id {
			t.Errorf("%s: hints %+v, want %s", path, hs, id)
		}
		if hs := (Guide{}).Hints(r); len(hs) != 0 {
			t.Errorf("%s without a seed: hints %+v", path, hs)
		}
	}
}
