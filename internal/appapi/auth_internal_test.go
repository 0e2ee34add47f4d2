package appapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

var internalTestKey = []byte("apps-test-secret-key-0123456789abcdef")

func bearerOf(id int64, secret string) string {
	return "Bearer " + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%d:%s", id, secret))
}

// TestWrongSecretsNeverWaitForASlot: with every argon2id slot taken (as by
// a flood), a wrong secret is refused at once and a right one accepted:
// neither waits for a slot, which only legacy hashes use.
func TestWrongSecretsNeverWaitForASlot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := NewStore(db, internalTestKey, nil)
		app, err := st.Create(ctx, Input{Name: "Bot", Roles: []string{RoleApp}})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := st.NewSecret(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		a := NewAuthenticator(db, st, slog.New(slog.DiscardHandler))
		for range cap(a.hashing) {
			a.hashing <- struct{}{}
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		for range 3 {
			if _, err := a.Authenticate(ctx, bearerOf(app.ID, strings.Repeat("0", 64))); !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("a wrong secret with the slots taken: %v, want ErrUnauthenticated at once", err)
			}
		}
		if got, err := a.Authenticate(ctx, bearerOf(app.ID, secret)); err != nil || got.ID != app.ID {
			t.Fatalf("the right secret with the slots taken: %v", err)
		}
	})
}
