package phpbb3

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The vectors PHP's password_hash made (testdata/vectors.php) verify by
// phpBB's bcrypt rules, and wrong passwords do not.
func TestPHPVectorsVerify(t *testing.T) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct{ Password, Hash, Wrong string }
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 5 {
		t.Fatalf("%d vectors", len(vs))
	}
	for _, v := range vs {
		if !Verify(v.Hash, v.Password) {
			t.Errorf("%q does not verify against PHP's %s", v.Password, v.Hash)
		}
		if Verify(v.Hash, v.Wrong) {
			t.Errorf("%q verifies against %s", v.Wrong, v.Hash)
		}
	}
}

// Keepstar's hashes look like phpBB's bcrypt_2y driver's and verify.
func TestHashIsBcrypt2yCost10(t *testing.T) {
	for _, p := range []string{"Abcdefgh12345678", "Ünïcödé ✓", strings.Repeat("y", 100)} {
		h, err := Hash(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h, "$2y$10$") || len(h) != 60 {
			t.Errorf("hash %q", h)
		}
		if !Verify(h, p) || Verify(h, "W"+p) {
			t.Errorf("%q: verify", p)
		}
	}
	if Verify(unusableHash(), "") {
		t.Error("the unusable hash matches")
	}
}

// PHP's own password_verify (the oracle, when KEEPSTAR_TEST_PHP names
// php) accepts the hashes Keepstar writes, and refuses a wrong password.
func TestPHPVerifiesKeepstarHashes(t *testing.T) {
	php := os.Getenv("KEEPSTAR_TEST_PHP")
	if php == "" {
		t.Skip("PHP oracle off: set KEEPSTAR_TEST_PHP to php's path (php-cli) to run it")
	}
	for _, p := range []string{"Abcdefgh12345678", "it's \"quoted\" & Ünïcödé", strings.Repeat("z", 80)} {
		h, err := Hash(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := phpVerify(t, php, p, h); got != "yes" {
			t.Errorf("php password_verify(%q, %s) = %s", p, h, got)
		}
		if got := phpVerify(t, php, "W"+p, h); got != "no" {
			t.Errorf("php password_verify of a wrong password = %s", got)
		}
	}
}

func phpVerify(t *testing.T, php, password, hash string) string {
	t.Helper()
	cmd := exec.Command(php, "-r", `echo password_verify(getenv("P"), getenv("H")) ? "yes" : "no";`)
	cmd.Env = append(os.Environ(), "P="+password, "H="+hash)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v", err)
	}
	return string(out)
}
