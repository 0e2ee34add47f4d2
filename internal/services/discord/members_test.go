package discord

import (
	"context"
	"fmt"
	"strconv"
	"testing"
)

// Paging through 2,500 members (and the owner) with the largest page gives
// every member once, in ascending id, with what a sync reads of each.
func TestListMembersPages(t *testing.T) {
	w := newWorld(t, Options{})
	w.sim.SetMembersIntent(true)
	ctx := context.Background()
	friends := w.role("Friends")
	if err := w.sim.AddMember(w.guild.ID, w.user.ID, friends.ID); err != nil {
		t.Fatal(err)
	}
	w.sim.SetGlobalName(w.user.ID, "Pilot One")
	nick := "Capsuleer"
	if _, err := w.c.UpdateMember(ctx, w.guild.ID, w.user.ID, nil, &nick); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2499; i++ {
		u := w.sim.AddUser(fmt.Sprintf("user%04d", i))
		if err := w.sim.AddMember(w.guild.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]Member{}
	after, pages, last := "", 0, uint64(0)
	for {
		page, err := w.c.ListMembers(ctx, w.guild.ID, after, MaxMembersPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages++
		for _, m := range page {
			n, err := strconv.ParseUint(m.User.ID, 10, 64)
			if err != nil || n <= last {
				t.Fatalf("page %d: id %q out of order", pages, m.User.ID)
			}
			last, seen[m.User.ID] = n, m
		}
		after = page[len(page)-1].User.ID
	}
	if pages != 3 || len(seen) != 2501 {
		t.Fatalf("%d pages, %d members", pages, len(seen))
	}
	m := seen[w.user.ID]
	if m.User.Username != "pilot" || m.User.GlobalName != "Pilot One" || m.Nick != nick ||
		len(m.Roles) != 1 || m.Roles[0] != friends.ID {
		t.Fatalf("member %+v", m)
	}
	if n := w.sim.Served429(); n != 0 {
		t.Fatalf("%d 429s", n)
	}
}

// The route has its own bucket, learnt from the headers: more pages than
// it allows in ten seconds wait for its reset instead of drawing 429s.
func TestListMembersWaitsForItsBucket(t *testing.T) {
	w := newWorld(t, Options{})
	w.sim.SetMembersIntent(true)
	ctx := context.Background()
	for i := 0; i < 12; i++ {
		if _, err := w.c.ListMembers(ctx, w.guild.ID, "", 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.sim.Served429(); n != 0 || w.clk.slept == 0 {
		t.Fatalf("%d 429s, slept %v", n, w.clk.slept)
	}
}

func TestListMembersErrors(t *testing.T) {
	w := newWorld(t, Options{})
	ctx := context.Background()
	_, err := w.c.ListMembers(ctx, w.guild.ID, "", 10)
	wantIs(t, err, ErrMissingAccess)
	w.sim.SetMembersIntent(true)
	for _, limit := range []int{0, -1, MaxMembersPage + 1} {
		_, err = w.c.ListMembers(ctx, w.guild.ID, "", limit)
		wantIs(t, err, ErrInvalidFormBody)
	}
	_, err = w.c.ListMembers(ctx, w.guild.ID, "not-a-snowflake", 10)
	wantIs(t, err, ErrInvalidFormBody)
	_, err = w.c.ListMembers(ctx, "404404", "", 10)
	wantIs(t, err, ErrUnknownGuild)
	if _, err := w.c.ListMembers(ctx, "", "", 10); err == nil {
		t.Fatal("an empty guild id was sent")
	}
}
