package esi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// ResolveNames goes in requests of 500 names, leaves out what ESI would
// refuse the whole request for, and gives the exact matches by kind.
func TestResolveNamesChunkedAndCleaned(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 10)
		c := e.client(t, nil)
		ch, err := e.sim.Universe.Character(e.sim.Universe.CharacterIDs()[0])
		if err != nil {
			t.Fatal(err)
		}
		corp, err := e.sim.Universe.Corporation(ch.CorporationID)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{strings.ToUpper(ch.Name), corp.Name, "Caldari State", "", "  ", strings.Repeat("x", 101), corp.Name, strings.ToLower(corp.Name)}
		for i := range 600 {
			names = append(names, fmt.Sprintf("Nobody %d", i))
		}
		got, err := c.ResolveNames(context.Background(), names)
		if err != nil {
			t.Fatal(err)
		}
		if n := e.count("POST /universe/ids"); n != 2 {
			t.Errorf("%d requests for 603 valid names, want 2", n)
		}
		if len(got.Of("character")) != 1 || got.Of("character")[0].ID != ch.ID || got.Of("character")[0].Name != ch.Name ||
			len(got.Of("corporation")) != 1 || got.Of("corporation")[0].ID != ch.CorporationID ||
			len(got.Of("faction")) != 1 || got.Of("faction")[0].ID != 500001 || len(got.Of("alliance")) != 0 {
			t.Errorf("resolved %+v", got)
		}
	})
}
