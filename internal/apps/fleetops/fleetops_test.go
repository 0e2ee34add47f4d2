package fleetops_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apognu/gocal"

	"github.com/keepstar/keepstar/internal/apps/fleetops"
	"github.com/keepstar/keepstar/internal/apps/timers"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// world is a site with an officer (fleetops.manage), a member who may
// view, one who may not, and a superuser.
type world struct {
	site                       *sitetest.Site
	officer, pilot, nobody, su *sitetest.Member
}

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{site: sitetest.Start(t, sitetest.Options{Dialect: d})}
	w.officer, w.pilot, w.nobody, w.su = w.site.NewMember(t), w.site.NewMember(t), w.site.NewMember(t), w.site.NewMember(t)
	acc := w.site.Accounts()
	if err := acc.SetPermissions(ctx, w.officer.AccountID, []string{fleetops.PermissionManage.Name}); err != nil {
		t.Fatal(err)
	}
	if err := acc.SetPermissions(ctx, w.pilot.AccountID, []string{fleetops.PermissionView.Name, timers.PermissionView.Name}); err != nil {
		t.Fatal(err)
	}
	if err := acc.SetRoles(ctx, w.su.AccountID, nil, true); err != nil {
		t.Fatal(err)
	}
	return w
}

func expect(t *testing.T, m *sitetest.Member, path string, form url.Values, status int, texts ...string) string {
	t.Helper()
	for i := range texts {
		texts[i] = html.EscapeString(texts[i])
	}
	return m.Browser.Expect(t, m.Name, path, form, status, texts...)
}

func opForm(name string, mods ...func(url.Values)) url.Values {
	f := url.Values{"name": {name}, "doctrine": {"Muninn"}, "system": {"1DQ1-A"}, "duration": {"90m"}, "fc": {"Vily"},
		"type": {"Stratop"}, "description": {"Comms: mumble, channel Ops 1"}, "hours": {"3"}}
	for _, m := range mods {
		m(f)
	}
	return f
}

func opIDs(body string) []int64 {
	var out []int64
	for _, m := range regexp.MustCompile(`data-operation="(\d+)"`).FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

func (w *world) newest(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := w.site.DB.QueryRow(context.Background(), `SELECT max(id) FROM fleet_operations`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestFleetOperations(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		t.Run("lifecycle", func(t *testing.T) { testLifecycle(t, w) })
		t.Run("calendar", func(t *testing.T) { testCalendar(t, w) })
		t.Run("reminders", func(t *testing.T) { testReminders(t, w) })
	})
}

func testLifecycle(t *testing.T, w *world) {
	// Who may use which route.
	expect(t, w.nobody, "/fleetops", nil, http.StatusForbidden)
	for _, m := range []*sitetest.Member{w.nobody, w.pilot} {
		expect(t, m, "/fleetops/add", nil, http.StatusForbidden)
		expect(t, m, "/fleetops/add", opForm("Refused"), http.StatusForbidden)
	}
	expect(t, w.pilot, "/fleetops", nil, http.StatusOK, "No upcoming operations.")

	// Create: one in three hours, one tomorrow at a given EVE time, one
	// that was yesterday.
	expect(t, w.officer, "/fleetops/add", nil, http.StatusOK, "Schedule a fleet operation")
	expect(t, w.officer, "/fleetops/add", opForm("Timer defence"), http.StatusOK, "Operation scheduled.", "Timer defence", "Muninn")
	soon := w.newest(t)
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Minute)
	expect(t, w.officer, "/fleetops/add", opForm("Home defence", func(f url.Values) {
		f.Del("hours")
		f.Set("start", tomorrow.Format("2006-01-02T15:04"))
	}), http.StatusOK, "Operation scheduled.")
	later := w.newest(t)
	yesterday := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Minute)
	expect(t, w.officer, "/fleetops/add", opForm("Old roam", func(f url.Values) {
		f.Del("hours")
		f.Set("start", yesterday.Format("2006.01.02 15:04"))
	}), http.StatusOK, "Operation scheduled.")
	old := w.newest(t)

	// Upcoming soonest first, then the past, for every viewer; the
	// countdown's data is there.
	for _, m := range []*sitetest.Member{w.officer, w.pilot, w.su} {
		body := expect(t, m, "/fleetops", nil, http.StatusOK, "Upcoming", "Past")
		if got, want := fmt.Sprint(opIDs(body)), fmt.Sprint([]int64{soon, later, old}); got != want {
			t.Errorf("%s sees %s, want %s", m.Name, got, want)
		}
		if !strings.Contains(body, `data-countdown="`+tomorrow.Format(time.RFC3339)+`"`) {
			t.Errorf("no countdown for tomorrow's operation")
		}
	}
	// Only managers see the buttons and use the routes.
	if body := expect(t, w.pilot, "/fleetops", nil, http.StatusOK); strings.Contains(body, "/edit") {
		t.Errorf("a viewer is offered to change operations")
	}
	for _, path := range []string{"/fleetops/%d/edit", "/fleetops/%d/delete"} {
		p := fmt.Sprintf(path, soon)
		expect(t, w.pilot, p, nil, http.StatusForbidden)
		expect(t, w.pilot, p, url.Values{"confirm": {"yes"}}, http.StatusForbidden)
		expect(t, w.nobody, p, nil, http.StatusForbidden)
	}

	// Bad input: a clear 422, nothing stored or changed.
	count := func() int {
		var n int
		if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM fleet_operations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n := count()
	for _, c := range []struct {
		form url.Values
		text string
	}{
		{opForm(""), "This field is required."},
		{opForm(strings.Repeat("y", 255)), "255 characters; at most 254 are allowed."},
		{opForm("Op", func(f url.Values) { f.Set("description", strings.Repeat("z", 4001)) }), "4001 characters; at most 4000"},
		{opForm("Op", func(f url.Values) { f.Set("fc", " ") }), "This field is required."},
		{opForm("Op", func(f url.Values) { f.Del("hours"); f.Set("start", "next tuesday") }), "This is not a time"},
		{opForm("Op", func(f url.Values) { f.Set("start", "2027-01-01 10:00") }), "not both"},
		{opForm("Op", func(f url.Values) { f.Set("minutes", "1.5") }), "whole numbers"},
		{opForm("Op", func(f url.Values) { f.Del("hours") }), "Enter when the operation starts."},
	} {
		expect(t, w.officer, "/fleetops/add", c.form, http.StatusUnprocessableEntity, c.text)
		expect(t, w.officer, fmt.Sprintf("/fleetops/%d/edit", soon), c.form, http.StatusUnprocessableEntity, c.text)
	}
	if count() != n {
		t.Errorf("a refused operation was stored")
	}
	expect(t, w.officer, "/fleetops/0/edit", nil, http.StatusNotFound)
	expect(t, w.officer, "/fleetops/99999/edit", opForm("Op"), http.StatusNotFound)
	expect(t, w.officer, "/fleetops/99999/delete", url.Values{"confirm": {"yes"}}, http.StatusNotFound)

	// Change, then delete (confirmed).
	expect(t, w.officer, fmt.Sprintf("/fleetops/%d/edit", soon), nil, http.StatusOK, "Timer defence")
	expect(t, w.officer, fmt.Sprintf("/fleetops/%d/edit", soon), opForm("Timer defence", func(f url.Values) {
		f.Set("doctrine", "Ferox")
		f.Set("hours", "4")
	}), http.StatusOK, "Operation changed.", "Ferox")
	expect(t, w.officer, fmt.Sprintf("/fleetops/%d/delete", old), nil, http.StatusOK, "Old roam")
	expect(t, w.officer, fmt.Sprintf("/fleetops/%d/delete", old), url.Values{}, http.StatusBadRequest)
	expect(t, w.officer, fmt.Sprintf("/fleetops/%d/delete", old), url.Values{"confirm": {"yes"}}, http.StatusOK, "Operation deleted.")
	if got := opIDs(expect(t, w.pilot, "/fleetops", nil, http.StatusOK)); fmt.Sprint(got) != fmt.Sprint([]int64{soon, later}) {
		t.Errorf("after the deletion: %v", got)
	}
}

var linkPattern = regexp.MustCompile(`id="calendar-link">([^<]+)<`)

func feed(t *testing.T, m *sitetest.Member) []gocal.Event {
	t.Helper()
	body := expect(t, m, "/calendar/renew", url.Values{}, http.StatusOK)
	found := linkPattern.FindStringSubmatch(body)
	if found == nil {
		t.Fatalf("no link on the page")
	}
	res, err := http.Get(html.UnescapeString(found[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("feed: %d", res.StatusCode)
	}
	start, end := time.Now().AddDate(0, -1, 0), time.Now().AddDate(1, 0, 0)
	p := gocal.NewParser(res.Body)
	p.Start, p.End = &start, &end
	p.Strict = gocal.StrictParams{Mode: gocal.StrictModeFailFeed}
	if err := p.Parse(); err != nil {
		t.Fatalf("gocal: %v", err)
	}
	return p.Events
}

// One feed holds the operations and the timers the member may see.
func testCalendar(t *testing.T, w *world) {
	ctx := context.Background()
	if _, err := w.site.DB.Exec(ctx, `INSERT INTO timers (system, planet_moon, structure, timer_type, objective, eve_time, important,
		owner, details, creator_id, creator_name, created_at, updated_at) VALUES ('K-6K16', '', 'athanor', 'hull', 'friendly', $1,
		false, 'Us', '', $2, 'x', $3, $3)`, time.Now().Add(5*time.Hour), w.officer.AccountID, time.Now()); err != nil {
		t.Fatal(err)
	}
	var later int64
	var start time.Time
	if err := w.site.DB.QueryRow(ctx, `SELECT id, start_at FROM fleet_operations WHERE name = 'Home defence'`).Scan(&later, &start); err != nil {
		t.Fatal(err)
	}
	events := feed(t, w.pilot)
	var ops, timerEvents int
	for _, e := range events {
		switch {
		case strings.HasPrefix(e.Uid, "fleetop-"):
			ops++
		case strings.HasPrefix(e.Uid, "timer-"):
			timerEvents++
		}
		if e.Uid == "fleetop-"+strconv.FormatInt(later, 10) {
			if !e.Start.Equal(start) || !e.End.Equal(start.Add(90*time.Minute)) || e.Location != "1DQ1-A" ||
				!strings.Contains(e.Summary, "Home defence") || !strings.Contains(e.Description, "Comms: mumble") {
				t.Errorf("the operation's event: %+v", e)
			}
		}
	}
	if ops != 2 || timerEvents != 1 {
		t.Errorf("pilot's feed: %d operations, %d timers", ops, timerEvents)
	}
	// The officer manages operations but may not see timers.
	ops, timerEvents = 0, 0
	for _, e := range feed(t, w.officer) {
		if strings.HasPrefix(e.Uid, "fleetop-") {
			ops++
		} else {
			timerEvents++
		}
	}
	if ops != 2 || timerEvents != 0 {
		t.Errorf("officer's feed: %d operations, %d others", ops, timerEvents)
	}
	if got := feed(t, w.nobody); len(got) != 0 {
		t.Errorf("nobody's feed: %v", got)
	}
}

func notices(t *testing.T, w *world, m *sitetest.Member) int {
	t.Helper()
	var n int
	if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE account_id = $1
		AND title_key = 'fleetops.notice.title'`, m.AccountID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testReminders(t *testing.T, w *world) {
	ctx := context.Background()
	expect(t, w.officer, "/fleetops/add", opForm("Soon", func(f url.Values) { f.Del("hours"); f.Set("minutes", "20") }),
		http.StatusOK, "Operation scheduled.")
	w.site.RunJob(t, fleetops.RemindArgs{})
	if n := notices(t, w, w.pilot); n != 0 {
		t.Fatalf("%d reminders with the setting off", n)
	}
	if _, err := w.site.DB.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, '30', $2)`,
		fleetops.SettingNotifyMinutes.Name, time.Now()); err != nil {
		t.Fatal(err)
	}
	sitetest.WaitFor(t, "the reminder", func() bool {
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); w.site.RunJob(t, fleetops.RemindArgs{}) }()
		}
		wg.Wait()
		return notices(t, w, w.pilot) > 0
	})
	w.site.RunJob(t, fleetops.RemindArgs{})
	for m, want := range map[*sitetest.Member]int{w.officer: 1, w.pilot: 1, w.su: 1, w.nobody: 0} {
		if got := notices(t, w, m); got != want {
			t.Errorf("%s got %d reminders, want %d", m.Name, got, want)
		}
	}
}

// The reminder is posted once in the ping channel of the Discord service
// the setting names.
func TestRemindersOnDiscord(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		w := newWorld(t, d)
		svc := w.site.Services(t, discord.Type)
		sim := discordsim.New(discordsim.Options{BotToken: "ops-bot", ClientID: "400000000000000003", ClientSecret: "s"})
		api := httptest.NewServer(sim)
		t.Cleanup(api.Close)
		guild := sim.AddGuild("Alliance", sim.AddUser("owner").ID)
		channel, err := sim.AddChannel(guild.ID, "ops")
		if err != nil {
			t.Fatal(err)
		}
		inst, err := svc.Create(ctx, services.Input{Slug: "discord", Type: "discord", Name: "Discord"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Update(ctx, inst.ID, services.Input{Name: "Discord", Enabled: true, Settings: map[string]string{
			discord.SettingGuildID: guild.ID, discord.SettingClientID: "400000000000000003", discord.SettingClientSecret: "s",
			discord.SettingBotToken: "ops-bot", discord.SettingAPIURL: api.URL, discord.SettingPingChannel: channel.ID}}); err != nil {
			t.Fatal(err)
		}
		expect(t, w.officer, "/fleetops/add", opForm("Structure bash", func(f url.Values) { f.Del("hours"); f.Set("minutes", "10") }),
			http.StatusOK, "Operation scheduled.")
		for name, value := range map[string]string{fleetops.SettingNotifyMinutes.Name: "15", fleetops.SettingNotifyService.Name: "discord"} {
			if _, err := w.site.DB.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)`, name, value, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		sitetest.WaitFor(t, "the post in the ping channel", func() bool {
			w.site.RunJob(t, fleetops.RemindArgs{})
			return len(sim.Messages(channel.ID)) > 0
		})
		w.site.RunJob(t, fleetops.RemindArgs{})
		msgs := sim.Messages(channel.ID)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "Structure bash") || !strings.Contains(msgs[0].Content, "FC: Vily") {
			t.Fatalf("the ping channel holds %+v", msgs)
		}
	})
}
