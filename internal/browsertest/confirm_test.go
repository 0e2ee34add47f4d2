package browsertest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestDeletingAGroupAsksFirst is a group admin at a desktop and at a phone
// deleting a group: the delete button leads to a page saying what follows
// (its members counted), with Cancel focused; Cancel deletes nothing, the
// confirmation deletes it.
func TestDeletingAGroupAsksFirst(t *testing.T) {
	atDesktopAndPhone(t, testDeletingAGroup)
}

func testDeletingAGroup(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	chars := site.AccountCharacters(t, 3)
	su := chars[0]
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// Doomed, with two members.
	gs := groups.New(site.DB, groups.Options{Queue: noQueue{}})
	g, err := gs.Create(ctx, groups.Input{Name: "Doomed", Description: "Not for long."})
	if err != nil {
		t.Fatal(err)
	}
	accs := site.Accounts()
	for _, c := range chars[1:] {
		site.NewBrowser(t).LogIn(t, c) // their accounts
	}
	if _, err := site.DB.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since)
		SELECT account_id, $1, $2 FROM characters WHERE id IN ($3, $4)`, g.ID, time.Now(), chars[1], chars[2]); err != nil {
		t.Fatal(err)
	}

	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(su)
	if _, _, err := accs.GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/groups/%d", g.ID)
	p.visit(path)

	// 1. Delete asks first: what follows, counted; Cancel is focused, so a
	// quick Enter does nothing.
	p.follow("pressing Delete this group", p.press("#delete-group"))
	p.wantAt(site.URL, path+"/delete")
	p.wantText("#confirm-question", "Delete the group Doomed?")
	p.wantText("#confirm-consequences", "2 members lose this group.")
	p.wantText("#confirm-final", "This cannot be undone.")
	if focused := run(p, "reading the focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "confirm-cancel" {
		t.Errorf("focused: %q, want Cancel", focused)
	}
	p.screenshot(shots, "confirm-delete-group")

	// 2. Cancel leads back; nothing is deleted.
	p.follow("pressing Cancel", p.press("#confirm-cancel"))
	p.wantAt(site.URL, path)
	if _, err := gs.Get(ctx, g.ID); err != nil {
		t.Fatalf("Cancel deleted the group: %v", err)
	}

	// 3. Confirmed, it is deleted.
	p.follow("pressing Delete this group", p.press("#delete-group"))
	p.follow("confirming", p.press("#confirm-button"))
	p.wantAt(site.URL, "/admin/groups")
	p.wantText(".alert", "The group Doomed was deleted.")
	if _, err := gs.Get(ctx, g.ID); !errors.Is(err, groups.ErrNotFound) {
		t.Fatalf("after confirming: %v", err)
	}
}
