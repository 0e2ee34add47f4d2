package operations

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", -time.Second: "0", 350 * time.Millisecond: "350ms", 1234 * time.Millisecond: "1.2s",
		45 * time.Second: "45s", 90 * time.Second: "1m30s", 10 * time.Minute: "10m", time.Hour: "1h",
		6*time.Hour + 30*time.Minute: "6h30m", 24 * time.Hour: "24h", time.Hour + 30*time.Second: "1h",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}
