package sitetest_test

import (
	"context"
	"html/template"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Members made one after another, and at once, are each a character and a
// Keepstar account of their own, logged in.
func TestNewMember(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		members := []*sitetest.Member{site.NewMember(t), site.NewMember(t)}
		got := make(chan *sitetest.Member, 2)
		for range 2 {
			go func() { got <- site.NewMember(t) }()
		}
		members = append(members, <-got, <-got)
		var chars []int32
		var accounts []int64
		for _, m := range members {
			if m.Name == "" || m.AccountID == 0 || m.Corporation == 0 {
				t.Errorf("member %+v", m)
			}
			if p := m.Browser.Get(t, "/"); !strings.Contains(p.Body, template.HTMLEscapeString(m.Name)) {
				t.Errorf("%s: the home page does not show them logged in", m.Name)
			}
			chars, accounts = append(chars, m.Character), append(accounts, m.AccountID)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(chars)))) != 4 || len(slices.Compact(slices.Sorted(slices.Values(accounts)))) != 4 {
			t.Errorf("characters %v, accounts %v: not four each", chars, accounts)
		}
	})
}

// GrantGuests adds the Guest state's permissions, again without harm;
// RevokeGuests takes away those named only.
func TestGrantRevokeGuests(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		perms := func() []string {
			rows, err := site.DB.Query(context.Background(), `SELECT permission FROM state_permissions WHERE state_id = $1 ORDER BY permission`,
				site.GuestState(t))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var list []string
			for rows.Next() {
				var p string
				if err := rows.Scan(&p); err != nil {
					t.Fatal(err)
				}
				list = append(list, p)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return list
		}
		before := perms()
		site.GrantGuests(t, "test.a", "test.b")
		site.GrantGuests(t, "test.a", "test.c")
		if got, want := perms(), slices.Sorted(slices.Values(append(slices.Clone(before), "test.a", "test.b", "test.c"))); !slices.Equal(got, want) {
			t.Errorf("after granting: %v, want %v", got, want)
		}
		site.RevokeGuests(t, "test.a", "test.c", "test.never")
		if got, want := perms(), slices.Sorted(slices.Values(append(slices.Clone(before), "test.b"))); !slices.Equal(got, want) {
			t.Errorf("after revoking: %v, want %v", got, want)
		}
	})
}
