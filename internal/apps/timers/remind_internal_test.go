package timers

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Eight reminder runs at once, each with its own settings and
// notification stores as separate processes have, send one timer's
// reminder once: one run claims it, the others find it claimed.
func TestRemindOnceUnderConcurrentRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		var account int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
				VALUES ('Officer', 'standard', true, true, '', '', $1, $1) RETURNING id`, now).Scan(&account); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO timers (system, planet_moon, structure, timer_type, objective, eve_time, important, owner,
				details, creator_id, creator_name, created_at, updated_at) VALUES ('1DQ1-A', '', 'keepstar', 'final', 'hostile', $1, false,
				'', '', $2, 'Officer', $3, $3)`, now.Add(10*time.Minute), account, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		reg := settings.NewRegistry([]settings.Definition{SettingNotifyMinutes, SettingNotifyService}, notifications.Settings)
		if err := settings.NewStore(db, reg, nil, 0).Set(ctx, map[string]string{SettingNotifyMinutes.Name: "30"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		counts := make([]int, 8)
		for i := range counts {
			st := settings.NewStore(db, reg, nil, 0)
			tm := &Timers{db: db, settings: st, notifications: notifications.NewStore(db, st, nil),
				logger: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := tm.Remind(ctx)
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		total := 0
		for _, n := range counts {
			total += n
		}
		var sent int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = $1`, account).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if total != 1 || sent != 1 {
			t.Errorf("runs claimed %v, %d notifications; want one of each", counts, sent)
		}
	})
}
