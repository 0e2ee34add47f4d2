package services

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestOneJobWorksAnInstanceAtATime: the work lease is held by one taker
// until it is released or lapses, and a renewal after it was lost says so.
func TestOneJobWorksAnInstanceAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		s, err := New(Options{DB: db, SecretKey: []byte(strings.Repeat("k", 32)), Now: func() time.Time { return now },
			Types: []Type{{Name: "lease", Open: func(context.Context, Instance, Env) (Connector, error) { return nil, nil }}}})
		if err != nil {
			t.Fatal(err)
		}
		inst, err := s.Create(ctx, Input{Slug: "one", Type: "lease", Name: "One"})
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.takeLease(ctx, inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.takeLease(ctx, inst.ID); !errors.Is(err, errBusy) {
			t.Fatalf("a second taker got %v, want errBusy", err)
		}
		now = now.Add(leaseRenew)
		if err := first.keep(ctx); err != nil {
			t.Fatalf("renewing: %v", err)
		}
		first.release(ctx)
		second, err := s.takeLease(ctx, inst.ID)
		if err != nil {
			t.Fatalf("after the release: %v", err)
		}
		// Its process died: the lease lapses, another takes it, and the
		// first, were it alive, learns it lost it.
		now = now.Add(leaseFor + time.Second)
		third, err := s.takeLease(ctx, inst.ID)
		if err != nil {
			t.Fatalf("after the lease lapsed: %v", err)
		}
		now = now.Add(leaseRenew)
		if err := second.keep(ctx); !errors.Is(err, errBusy) {
			t.Errorf("renewing a lost lease: %v, want errBusy", err)
		}
		second.release(ctx) // must not free the third's
		if _, err := s.takeLease(ctx, inst.ID); !errors.Is(err, errBusy) {
			t.Errorf("a lost lease's release freed the holder's: %v", err)
		}
		third.release(ctx)
	})
}
