package sitetest

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/groups"
)

// WaitFor polls cond until it holds, failing the test after a minute: for
// what a site does in the background (its jobs, a service's answer).
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SettleServices waits until no service sync or verification is waiting
// or running.
func (s *Site) SettleServices(t testing.TB) {
	t.Helper()
	WaitFor(t, "the service jobs to finish", func() bool {
		var n int
		if err := s.DB.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind IN ('services_sync', 'services_verify')
			AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// Control posts to the simulated EVE's control API (path below /control/,
// a JSON body), as a test moving a character or breaking a token does.
func (s *Site) Control(t testing.TB, path, body string) {
	t.Helper()
	res, err := http.Post(s.SimURL+"/control/"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := Body(t, res); res.StatusCode != http.StatusOK {
		t.Fatalf("control %s: %d %s", path, res.StatusCode, b)
	}
}

// OpenGroup makes an open, public group, which members join on its page.
func (s *Site) OpenGroup(t testing.TB, name string) int64 {
	t.Helper()
	g, err := groups.New(s.DB, groups.Options{Queue: s.queue}).Create(context.Background(), groups.Input{Name: name, Open: true, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

// JoinGroup joins a group on its page, as its member does.
func (b *Browser) JoinGroup(t testing.TB, group int64) {
	t.Helper()
	if p := b.Post(t, "/groups/"+strconv.FormatInt(group, 10)+"/join", url.Values{}); p.Status != http.StatusOK {
		t.Fatalf("join %d: %d", group, p.Status)
	}
}

// LeaveGroup leaves a group on its page.
func (b *Browser) LeaveGroup(t testing.TB, group int64) {
	t.Helper()
	if p := b.Post(t, "/groups/"+strconv.FormatInt(group, 10)+"/leave", url.Values{}); p.Status != http.StatusOK {
		t.Fatalf("leave %d: %d", group, p.Status)
	}
}
