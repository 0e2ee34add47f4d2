package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Neither token is ever stored readable: not after a login, not after a
// refresh; and the sealed values open only with the key and in their place.
func TestNoPlainTextAtRest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, db, true)
		id, other := e.character(0), e.character(1)
		tok := e.save(id, "core.default", someScopes)
		otherTok := e.save(other, "core.default", nil)
		assertNotAtRest(t, db, tok.AccessToken, tok.RefreshToken, otherTok.AccessToken, otherTok.RefreshToken)

		e.expire()
		access, err := NewSource(e.store, e.client, SourceOptions{}).AccessToken(ctx, id, "core.default")
		if err != nil {
			t.Fatal(err)
		}
		refreshed := e.get(id, "core.default")
		if access == tok.AccessToken || refreshed.RefreshToken == tok.RefreshToken {
			t.Fatal("no refresh happened")
		}
		assertNotAtRest(t, db, access, refreshed.RefreshToken, tok.AccessToken, tok.RefreshToken)

		var sealed string
		if err := db.QueryRow(ctx, `SELECT refresh_token_sealed FROM eve_tokens WHERE character_id = $1`, id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if got, err := e.box.Open(sealed, additional("refresh", id, "core.default")); err != nil || got != refreshed.RefreshToken {
			t.Fatalf("the right key does not open the stored value: %v", err)
		}
		otherKey := slices.Clone(e.key)
		otherKey[0] ^= 1
		otherBox, err := secrets.New(otherKey, purpose)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := otherBox.Open(sealed, additional("refresh", id, "core.default")); !errors.Is(err, secrets.ErrUndecryptable) {
			t.Errorf("another secret key opened the refresh token: %v", err)
		}
		for _, place := range []string{additional("access", id, "core.default"), additional("refresh", other, "core.default"), additional("refresh", id, "core.mail")} {
			if _, err := e.box.Open(sealed, place); !errors.Is(err, secrets.ErrUndecryptable) {
				t.Errorf("the refresh token opened as %q: %v", place, err)
			}
		}

		// A sealed value copied into another row does not open there.
		if _, err := db.Exec(ctx, `UPDATE eve_tokens SET refresh_token_sealed = $1 WHERE character_id = $2`, sealed, other); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Get(ctx, other, "core.default"); !errors.Is(err, secrets.ErrUndecryptable) {
			t.Errorf("a refresh token copied to another row: %v", err)
		}
	})
}

// Get, MarkInvalid and Delete of a missing token say ErrNotFound; a Save in
// a rolled-back transaction leaves nothing; the login is part of the key.
func TestStoreBasics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, db, false)
		id := e.character(2)
		for name, err := range map[string]error{
			"get":          func() error { _, err := e.store.Get(ctx, id, "core.default"); return err }(),
			"mark invalid": e.store.MarkInvalid(ctx, db, id, "core.default"),
			"delete":       e.store.Delete(ctx, db, id, "core.default"),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s of a missing token: %v, want ErrNotFound", name, err)
			}
		}

		tok := e.login(id, someScopes)
		rollback := errors.New("rollback")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := e.store.Save(ctx, tx, tok, "core.default"); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if _, err := e.store.Get(ctx, id, "core.default"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after rollback: %v", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := e.store.Save(ctx, tx, tok, "core.default"); return err }); err != nil {
			t.Fatal(err)
		}
		got := e.get(id, "core.default")
		c := tok.Claims
		if got.CharacterID != id || got.Login != "core.default" || got.CharacterName != c.Name || got.OwnerHash != c.Owner ||
			got.AccessToken != tok.AccessToken || got.RefreshToken != tok.RefreshToken || !got.AccessExpiry.Equal(tok.Expiry) ||
			!slices.Equal(got.Scopes, someScopes) || !got.Valid || !got.InvalidSince.IsZero() || !got.CheckedAt.Equal(e.clock.Now()) {
			t.Fatalf("stored %+v", got)
		}
		if _, err := e.store.Get(ctx, id, "core.mail"); !errors.Is(err, ErrNotFound) {
			t.Errorf("another login of the same character: %v", err)
		}
		if _, err := e.store.Save(ctx, db, tok, ""); err == nil {
			t.Error("saved a token without a login")
		}

		var logged strings.Builder
		slog.New(slog.NewTextHandler(&logged, nil)).Info("token", "token", got)
		for _, s := range []string{fmt.Sprint(got), fmt.Sprintf("%+v", got), logged.String()} {
			if strings.Contains(s, tok.RefreshToken) || strings.Contains(s, tok.AccessToken[:40]) {
				t.Errorf("a printed Token shows a secret: %s", s)
			}
		}

		if err := e.store.MarkInvalid(ctx, db, id, "core.default"); err != nil {
			t.Fatal(err)
		}
		if got := e.get(id, "core.default"); got.Valid || !got.InvalidSince.Equal(e.clock.Now()) {
			t.Errorf("after MarkInvalid: valid %t since %s", got.Valid, got.InvalidSince)
		}
		if err := e.store.Delete(ctx, db, id, "core.default"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Get(ctx, id, "core.default"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after Delete: %v", err)
		}
	})
}

// A login without scopes never replaces a valid token with scopes; it does
// replace an invalid one, and a token with scopes replaces it in turn.
func TestNoScopeLoginKeepsScopedToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, db, true)
		id := e.character(3)
		scoped := e.save(id, "core.default", someScopes)

		bare := e.login(id, nil)
		res, err := e.store.Save(ctx, db, bare, "core.default")
		if err != nil || !res.Kept || res.PreviousOwner != scoped.Claims.Owner || res.OwnerChanged(bare) {
			t.Fatalf("no-scope save over a scoped token: %+v, %v", res, err)
		}
		if got := e.get(id, "core.default"); got.RefreshToken != scoped.RefreshToken || !slices.Equal(got.Scopes, someScopes) {
			t.Fatalf("the scoped token was replaced: scopes %v", got.Scopes)
		}
		// Another login is another key: the rule does not reach across.
		if res, err := e.store.Save(ctx, db, bare, "core.auth"); err != nil || res.Kept || res.PreviousOwner != "" {
			t.Fatalf("no-scope save under another login: %+v, %v", res, err)
		}

		if err := e.store.MarkInvalid(ctx, db, id, "core.default"); err != nil {
			t.Fatal(err)
		}
		bare2 := e.login(id, nil)
		if res, err := e.store.Save(ctx, db, bare2, "core.default"); err != nil || res.Kept {
			t.Fatalf("no-scope save over an invalid scoped token: %+v, %v", res, err)
		}
		if got := e.get(id, "core.default"); got.RefreshToken != bare2.RefreshToken || len(got.Scopes) != 0 || !got.Valid {
			t.Fatalf("after no-scope save over an invalid token: scopes %v, valid %t", got.Scopes, got.Valid)
		}
		scoped2 := e.login(id, someScopes[:1])
		if res, err := e.store.Save(ctx, db, scoped2, "core.default"); err != nil || res.Kept {
			t.Fatalf("scoped save over a no-scope token: %+v, %v", res, err)
		}
		if got := e.get(id, "core.default"); got.RefreshToken != scoped2.RefreshToken || !slices.Equal(got.Scopes, someScopes[:1]) {
			t.Fatalf("after scoped save: scopes %v", got.Scopes)
		}
	})
}
