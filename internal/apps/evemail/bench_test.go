package evemail_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// BenchmarkInvalidTokenPass: the invalid-token pass over 10,000 accounts of
// three characters each, one account in ten with an invalid token, all in
// the configured corporation: each run resets nothing, finds the 1,000
// accounts due and queues their mails with their jobs in one transaction.
//
//	KEEPSTAR_TEST_POSTGRES_URL=... go test -p 1 -run '^$' -bench BenchmarkInvalidTokenPass -benchtime=10x -benchmem ./internal/apps/evemail/
func BenchmarkInvalidTokenPass(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, d)
			if _, err := jobs.Migrate(ctx, db, nil); err != nil {
				b.Fatal(err)
			}
			q, err := jobs.New(ctx, db, jobs.NewRegistry(), jobs.Options{})
			if err != nil {
				b.Fatal(err)
			}
			values := settings.NewStore(db, settings.NewRegistry(evemail.Settings), nil, 0)
			if err := values.Set(ctx, map[string]string{"evemail.invalid_active": "true", "evemail.invalid_corporations": "98000001",
				"evemail.invalid_subject": "Token", "evemail.invalid_body": "Log in again."}); err != nil {
				b.Fatal(err)
			}
			seedAccounts(b, db, 10_000)
			m := evemail.NewMailer(evemail.Deps{DB: db, Settings: values, Queue: q})
			if _, err := m.SetSender(ctx, 0, 0); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(ctx, `UPDATE evemail_sender SET character_id = 1, character_name = 'Sender' WHERE id = 1`); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				n, _, err := m.InvalidTokenPass(ctx)
				if err != nil || n != 1000 {
					b.Fatalf("%d queued, %v", n, err)
				}
				b.StopTimer()
				for _, stmt := range []string{`DELETE FROM evemail_invalid_token`, `DELETE FROM evemail_mails`, `DELETE FROM river_job`} {
					if _, err := db.Exec(ctx, stmt); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
		})
	}
}

// seedAccounts writes n accounts of three characters with core.default
// tokens straight into the tables (the pass reads only their validity).
func seedAccounts(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			var account int64
			if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
				VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, fmt.Sprint("Pilot ", i), now).Scan(&account); err != nil {
				return err
			}
			var chars, tokens []string
			for j := range 3 {
				id := 90_000_000 + i*3 + j
				chars = append(chars, fmt.Sprintf("(%d, %d, 'Pilot %d-%d', 'h', %v, 98000001, '%s')", id, account, i, j,
					sqlBool(db, j == 0), now.Format(time.RFC3339)))
				validity := "valid"
				if i%10 == 0 && j == 2 {
					validity = "invalid"
				}
				tokens = append(tokens, fmt.Sprintf("(%d, 'core.default', 'x', 'x', '%s', 'publicData', 'h', 'P', '%s', 1, '%s', '%s', '%s')",
					id, now.Format(time.RFC3339), validity, now.Format(time.RFC3339), now.Format(time.RFC3339), now.Format(time.RFC3339)))
			}
			if _, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, created_at) VALUES `+
				strings.Join(chars, ", ")); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO eve_tokens (character_id, login, refresh_token_sealed, access_token_sealed, access_expires_at,
				scopes, owner_hash, character_name, validity, version, checked_at, created_at, updated_at) VALUES `+strings.Join(tokens, ", ")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func sqlBool(_ *store.DB, v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}
