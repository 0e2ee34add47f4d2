package discord

import (
	"context"
	"testing"
	"time"
)

func TestMemoryLimiterGlobal429HoldsEveryRoute(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	l := NewMemoryLimiter(clk.now, clk.sleep, 0)
	a := Route{Method: "GET", Template: tGuild, Major: "1"}
	b := Route{Method: "GET", Template: tRoles, Major: "2"}
	l.Update(context.Background(), a, RateInfo{TooMany: true, Global: true, RetryAfter: 1500 * time.Millisecond})
	if err := l.Wait(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if clk.slept != 1500*time.Millisecond {
		t.Fatalf("slept %v", clk.slept)
	}
}

func TestMemoryLimiterBucketSharedByRoutes(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	l := NewMemoryLimiter(clk.now, clk.sleep, 0)
	add := Route{Method: "PUT", Template: tMemberRole, Major: "1"}
	del := Route{Method: "DELETE", Template: tMemberRole, Major: "1"}
	l.Update(context.Background(), add, RateInfo{Bucket: "roles", HasRemaining: true, Remaining: 0, ResetAfter: 3 * time.Second})
	l.Update(context.Background(), del, RateInfo{Bucket: "roles"})
	if err := l.Wait(context.Background(), del); err != nil {
		t.Fatal(err)
	}
	if clk.slept != 3*time.Second+resetMargin {
		t.Fatalf("slept %v, want the shared bucket's reset and the margin", clk.slept)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, add); err == nil {
		t.Fatal("cancelled wait returned nil")
	}
}
