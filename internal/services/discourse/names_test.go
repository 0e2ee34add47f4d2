package discourse

import (
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/discoursesim"
)

// Usernames fit Discourse's rules (the fake's check is Discourse's
// UsernameValidator with unicode_usernames off) and keep what they can of
// the name.
func TestUsername(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Some Pilot", "Some_Pilot"},
		{"O'Neil Jr.", "ONeil_Jr"},
		{"Jörg Ærø", "Jorg_AEro"},
		{"Ёжик в тумане", "Ezhik_v_tumane"},
		{"[CORP] Very Long Character Name", "CORP_Very_Long_Chara"},
		{"伊藤", "user42"},
		{"Al", "Al_42"},
		{"__a--b..c__", "a-b.c"},
		{"file.json", "file_json"},
		{"A name ending in a dot.png", "A_name_ending_in_a_d"},
		{"Quote ’ mark", "Quote_mark"},
	} {
		got := Username(c.in, 42)
		if got != c.want {
			t.Errorf("Username(%q) = %q, want %q", c.in, got, c.want)
		}
		if why := discoursesim.CheckUsername(got); why != "" {
			t.Errorf("Username(%q) = %q, which Discourse refuses: %s", c.in, got, why)
		}
	}
}

func FuzzUsername(f *testing.F) {
	for _, s := range []string{"Some Pilot", "O'Neil", "Ёжик", "伊藤", "a.json", "-_-", "x", "Ünïcødé ßtraße"} {
		f.Add(s, int64(7))
	}
	f.Fuzz(func(t *testing.T, name string, id int64) {
		if id <= 0 || id > 1<<40 {
			id = 1
		}
		if u := Username(name, id); discoursesim.CheckUsername(u) != "" {
			t.Fatalf("Username(%q, %d) = %q: %s", name, id, u, discoursesim.CheckUsername(u))
		}
		if g := GroupName(name); g != "" && discoursesim.CheckUsername(g) != "" {
			t.Fatalf("GroupName(%q) = %q: %s", name, g, discoursesim.CheckUsername(g))
		}
	})
}

// The limiter keeps to 60 requests in any minute: the 61st waits for the
// first to leave the window, and a wait past the bound is not taken.
func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &limiter{now: func() time.Time { return now }, max: adminMax, window: adminWindow}
	for i := range adminMax {
		if wait, ok := l.reserve(maxWait); !ok || wait != 0 {
			t.Fatalf("request %d waits %s", i+1, wait)
		}
		now = now.Add(100 * time.Millisecond)
	}
	// 6 s have passed: the 61st must wait 54 s, more than maxWait.
	if wait, ok := l.reserve(maxWait); ok || wait != 54*time.Second {
		t.Fatalf("the 61st: wait %s, taken %v", wait, ok)
	}
	now = now.Add(53 * time.Second)
	if wait, ok := l.reserve(maxWait); !ok || wait != time.Second {
		t.Fatalf("near the window's end: wait %s, taken %v", wait, ok)
	}
	// That place is taken: the next waits for the second request.
	if wait, ok := l.reserve(maxWait); !ok || wait != 1100*time.Millisecond {
		t.Fatalf("the next: wait %s, taken %v", wait, ok)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, c := range []struct {
		header, body string
		want         time.Duration
	}{
		{"26", "", 26 * time.Second},
		{"0", "", time.Second},
		{"", `{"extras":{"wait_seconds":3.5}}`, 3500 * time.Millisecond},
		{"soon", "", time.Minute},
	} {
		if got := retryAfter(c.header, []byte(c.body)); got != c.want {
			t.Errorf("retryAfter(%q, %q) = %s, want %s", c.header, c.body, got, c.want)
		}
	}
}
