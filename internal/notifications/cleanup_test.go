package notifications_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The cleanup deletes the notifications older than the setting (90 days
// by default), read or not, of every member; 0 keeps them all.
func TestDeleteOldFollowsTheSetting(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		st := settings.NewStore(db, settings.NewRegistry(notifications.Settings), nil, 0)
		now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		clock := now
		ns := notifications.NewStore(db, st, func() time.Time { return clock })
		me, other := newAccount(t, db), newAccount(t, db)
		for _, n := range []struct {
			account int64
			title   string
			age     time.Duration
		}{
			{me, "400 days", 400 * 24 * time.Hour},
			{other, "91 days", 91 * 24 * time.Hour},
			{me, "89 days", 89 * 24 * time.Hour},
			{other, "yesterday", 24 * time.Hour},
		} {
			clock = now.Add(-n.age)
			if err := ns.Send(ctx, db, n.account, notifications.Notice{Level: notifications.Info, Title: n.title}); err != nil {
				t.Fatal(err)
			}
		}
		clock = now
		if err := ns.MarkAllRead(ctx, me); err != nil {
			t.Fatal(err)
		}
		left := func() []string {
			t.Helper()
			var titles []string
			for _, acc := range []int64{me, other} {
				list, err := ns.List(ctx, acc)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range list {
					titles = append(titles, n.Title)
				}
			}
			slices.Sort(titles)
			return titles
		}
		deleteOld := func(want int64) {
			t.Helper()
			if n, err := ns.DeleteOld(ctx); err != nil || n != want {
				t.Fatalf("DeleteOld = %d, %v; want %d", n, err, want)
			}
		}

		deleteOld(2)
		if got := left(); !slices.Equal(got, []string{"89 days", "yesterday"}) {
			t.Fatalf("left %v after the default 90 days", got)
		}
		if err := st.Set(ctx, map[string]string{notifications.SettingMaxAgeDays.Name: "0"}); err != nil {
			t.Fatal(err)
		}
		clock = now.AddDate(10, 0, 0)
		deleteOld(0)
		if err := st.Set(ctx, map[string]string{notifications.SettingMaxAgeDays.Name: "30"}); err != nil {
			t.Fatal(err)
		}
		clock = now
		deleteOld(1)
		if got := left(); !slices.Equal(got, []string{"yesterday"}) {
			t.Fatalf("left %v after 30 days", got)
		}
	})
}

// The setting refuses what is no number of days.
func TestMaxAgeDaysSetting(t *testing.T) {
	for _, v := range []string{"-1", "3651", "ninety"} {
		if _, err := notifications.SettingMaxAgeDays.Check(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
	if v, err := notifications.SettingMaxAgeDays.Check(" 0 "); err != nil || v != "0" {
		t.Errorf("0: %q %v", v, err)
	}
}

// The cleanup's worker and schedule are accepted by the queue.
func TestRegisterCleanup(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		reg := jobs.NewRegistry()
		st := settings.NewStore(db, settings.NewRegistry(notifications.Settings), nil, 0)
		notifications.Register(reg, notifications.NewStore(db, st, nil), slog.New(slog.DiscardHandler))
		p, ok := reg.Lookup(notifications.CleanupArgs{}.Kind())
		if !ok || p.Priority != 4 || p.Every != 24*time.Hour || p.Summary == "" {
			t.Fatalf("schedule %+v, %v", p, ok)
		}
		if _, err := jobs.New(context.Background(), db, reg, jobs.Options{Workers: 1}); err != nil {
			t.Fatal(err)
		}
	})
}
