package services_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// visitor is a logged-in member.
type visitor struct {
	b       *sitetest.Browser
	account int64
	name    string
}

// login logs in the main of a simulated player not used yet, with roles.
func login(t *testing.T, site *sitetest.Site, used *[]int32, roles ...string) visitor {
	t.Helper()
	ctx := context.Background()
	c := site.AccountCharacters(t, 1, *used...)[0]
	*used = append(*used, c)
	v := visitor{b: site.NewBrowser(t)}
	v.b.LogIn(t, c)
	accs := site.Accounts()
	ch, err := accs.Character(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	v.account, v.name = ch.AccountID, ch.Name
	if len(roles) > 0 {
		if err := accs.SetRoles(ctx, v.account, roles, false); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// expect gets path (posts form when it is not nil) and checks the status
// and texts (HTML-escaped here) of the page it ends on.
func (v visitor) expect(t *testing.T, path string, form url.Values, status int, texts ...string) string {
	t.Helper()
	for i := range texts {
		texts[i] = html.EscapeString(texts[i])
	}
	return v.b.Expect(t, v.name, path, form, status, texts...)
}

// settingsForm is a valid form of the fake instance, to change from.
func settingsForm(enabled bool) url.Values {
	f := url.Values{"name": {"Voice"}, "setting-server": {"voice.example:64738"}, "setting-token": {""},
		"name_format": {""}, "map_by_name": {"on"}, "unmanaged": {""}}
	if enabled {
		f.Set("enabled", "on")
	}
	return f
}

func TestAdminPages(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fake := &fakeService{}
			fake.set([]string{"Pilots", "Scouts", "Admins"}, nil, services.Problem{Message: "fake.problem", Args: map[string]any{"Role": "Pilots"}})
			site := sitetest.Start(t, sitetest.Options{Dialect: d, ServiceTypes: []services.TypeConstructor{fake.Type}})
			testAdminPages(t, site, fake)
		})
	}
}

func testAdminPages(t *testing.T, site *sitetest.Site, fake *fakeService) {
	ctx := context.Background()
	var used []int32
	admin := login(t, site, &used, access.RoleServiceAdmin)
	member := login(t, site, &used)
	gs := groups.New(site.DB, groups.Options{Queue: site.Queue()})
	group := map[string]int64{}
	for _, name := range []string{"Fleet", "Scouts", "Bots", "Logistics"} {
		g, err := gs.Create(ctx, groups.Input{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		group[name] = g.ID
	}
	var memberState int64
	if err := site.DB.QueryRow(ctx, `SELECT id FROM states WHERE name = 'Guest'`).Scan(&memberState); err != nil {
		t.Fatal(err)
	}
	// The test's own view of the instances, to read back what the pages
	// stored (secrets opened with the site's key).
	svc, err := services.New(services.Options{DB: site.DB, SecretKey: site.Config.SecretKey, Types: []services.Type{fake.Type()}})
	if err != nil {
		t.Fatal(err)
	}

	member.expect(t, "/admin/services", nil, http.StatusForbidden)
	admin.expect(t, "/admin/services", nil, http.StatusOK, "There is no service yet.", "Fake voice", "A voice server kept in memory.")

	// Creation: every problem at once, on the form, nothing stored.
	body := admin.expect(t, "/admin/services", url.Values{"type": {"no-such-type"}, "slug": {"Voice Comms"}, "name": {""}}, http.StatusUnprocessableEntity,
		"Choose a type of service.", "The short name has 1 to 40 lower-case letters", "The name has 1 to 64 characters.")
	if n := strings.Count(body, `aria-invalid="true"`); n != 3 {
		t.Errorf("%d fields marked invalid, want 3", n)
	}
	if !strings.Contains(body, `value="Voice Comms"`) {
		t.Error("the short name typed is not shown again")
	}
	if list, _ := svc.Instances(ctx); len(list) != 0 {
		t.Fatalf("a refused form stored %v", list)
	}
	admin.expect(t, "/admin/services", url.Values{"type": {"fake"}, "slug": {"voice"}, "name": {"Voice"}}, http.StatusOK,
		"Voice was created, disabled.", "services.voice.access")
	admin.expect(t, "/admin/services", url.Values{"type": {"fake"}, "slug": {"voice"}, "name": {"Other"}}, http.StatusUnprocessableEntity,
		"Another service has this short name.")
	inst, err := svc.Instance(ctx, "voice")
	if err != nil {
		t.Fatal(err)
	}
	if inst.Enabled || !inst.MapByName || inst.Type != "fake" {
		t.Errorf("created %+v, want disabled, mapping by name", inst)
	}
	page := "/admin/services/voice"
	body = admin.expect(t, page, nil, http.StatusOK, "Server address", "Admin token", "Verbose logging", "[{corp_ticker}] {character_name}",
		"The main's corporation's ticker", "Name format for", "Open the server console", "The bot cannot manage Pilots.")
	if !strings.Contains(body, `data-secret="none"`) || strings.Contains(body, `data-secret="stored"`) {
		t.Error("the unset secret is not said to be unset")
	}
	for _, name := range []string{"Pilots", "Scouts", "Admins"} {
		if !strings.Contains(body, `<option value="`+name+`">`) {
			t.Errorf("the service's group %s is not suggested", name)
		}
	}
	member.expect(t, page, nil, http.StatusForbidden)

	// Enabling without the required settings: refused, with each.
	form := settingsForm(true)
	form.Set("setting-server", "")
	body = admin.expect(t, page, form, http.StatusUnprocessableEntity, "Server address is needed before the service is enabled.",
		"Admin token is needed before the service is enabled.")
	if !strings.Contains(body, `id="setting-server" name="setting-server" value=""`) {
		t.Error("the form is not shown again as typed")
	}

	// Saved: settings, the secret, formats, mapping; read back.
	form = settingsForm(false)
	form.Set("setting-token", "s3cret-token")
	form.Set("setting-verbose", "true")
	form.Set("name_format", "{alliance_ticker} - {character_name}")
	form.Set(fmt.Sprintf("state-format-%d", memberState), "[{corp_ticker}] {character_name:.10}")
	form.Set("unmanaged", "Bots\r\nNitro Boosters\r\n")
	form.Set(fmt.Sprintf("map-%d", group["Fleet"]), "name")
	form.Set(fmt.Sprintf("map-name-%d", group["Fleet"]), "Pilots")
	form.Set(fmt.Sprintf("map-%d", group["Scouts"]), "none")
	form.Set(fmt.Sprintf("map-name-%d", group["Scouts"]), "ignored")
	body = admin.expect(t, page, form, http.StatusOK, "Voice was saved.")
	if strings.Contains(body, "s3cret-token") {
		t.Error("the secret is shown")
	}
	if !strings.Contains(body, `data-secret="stored"`) {
		t.Error("the stored secret is not said to be set")
	}
	inst, err = svc.Instance(ctx, "voice")
	if err != nil {
		t.Fatal(err)
	}
	want := services.Instance{Name: "Voice", NameFormat: "{alliance_ticker} - {character_name}",
		StateFormats: map[int64]string{memberState: "[{corp_ticker}] {character_name:.10}"}, MapByName: true,
		Maps: map[int64]string{group["Fleet"]: "Pilots", group["Scouts"]: ""}, Unmanaged: []string{"Bots", "Nitro Boosters"},
		Settings: map[string]string{"server": "voice.example:64738", "token": "s3cret-token", "verbose": "true"}}
	if inst.Name != want.Name || inst.NameFormat != want.NameFormat || !mapsEqual(inst.StateFormats, want.StateFormats) ||
		!mapsEqual(inst.Maps, want.Maps) || !slices.Equal(inst.Unmanaged, want.Unmanaged) || !mapsEqual(inst.Settings, want.Settings) || inst.Enabled {
		t.Errorf("stored %+v, want %+v", inst, want)
	}
	// The form reads them back.
	for _, s := range []string{`value="{alliance_ticker} - {character_name}"`, `value="[{corp_ticker}] {character_name:.10}"`,
		"Bots\nNitro Boosters", `value="Pilots"`, `<option value="none" selected>`, `<option value="name" selected>`,
		`id="setting-server" name="setting-server" value="voice.example:64738"`, `name="setting-verbose" value="true" checked`} {
		if !strings.Contains(body, html.EscapeString(s)) && !strings.Contains(body, s) {
			t.Errorf("the saved form lacks %s", s)
		}
	}
	// Check was given the groups Keepstar manages there: Fleet's Pilots,
	// and Logistics by its name; not Scouts (none), nor the unmanaged Bots.
	if got := fake.lastManaged(); !slices.Equal(got, []string{"Logistics", "Pilots"}) {
		t.Errorf("Check was given %v, want [Logistics Pilots]", got)
	}

	// Saved again with the secret left empty: kept; then replaced.
	form.Set("setting-token", "")
	admin.expect(t, page, form, http.StatusOK, "Voice was saved.")
	if inst, err = svc.Instance(ctx, "voice"); err != nil || inst.Settings["token"] != "s3cret-token" {
		t.Fatalf("the secret left empty became %q (%v)", inst.Settings["token"], err)
	}
	form.Set("setting-token", "new-token")
	admin.expect(t, page, form, http.StatusOK, "Voice was saved.")
	if inst, err = svc.Instance(ctx, "voice"); err != nil || inst.Settings["token"] != "new-token" {
		t.Fatalf("the secret typed became %q (%v)", inst.Settings["token"], err)
	}
	form.Set("setting-token", "")

	// Problems of the formats and the mapping, each on its field.
	bad := cloneValues(form)
	bad.Set(fmt.Sprintf("state-format-%d", memberState), "{nickname}")
	bad.Set(fmt.Sprintf("map-name-%d", group["Fleet"]), "")
	body = admin.expect(t, page, bad, http.StatusUnprocessableEntity, "The name format for Guest cannot be used: unknown placeholder {nickname}",
		"Name the service's group that Fleet gives")
	if strings.Contains(body, "The name format cannot be used") {
		t.Error("a state's bad format is also said to be the default's")
	}
	for _, field := range []string{fmt.Sprintf("state-format-%d-error", memberState), fmt.Sprintf("map-name-%d-error", group["Fleet"])} {
		if !strings.Contains(body, `id="`+field+`"`) {
			t.Errorf("no problem shown beside %s", field)
		}
	}
	if inst2, _ := svc.Instance(ctx, "voice"); !mapsEqual(inst2.Maps, want.Maps) {
		t.Errorf("a refused form changed the mapping: %v", inst2.Maps)
	}

	// Linked accounts, one whose last sync failed; both hold the
	// permission, so that no sync takes them away.
	now := time.Now().UTC()
	for _, a := range []struct {
		account        int64
		status, failed string
	}{{member.account, "ok", ""}, {admin.account, "error", "HTTP 403: Missing Permissions"}} {
		if _, err := site.DB.Exec(ctx, `INSERT INTO service_accounts (instance_id, account_id, external_id, external_name, name, groups, state,
			status, last_error, wanted, synced, reason, failures, last_sync_at, created_at) VALUES ($1, $2, $3, $4, '', '[]', '', $5, $6, 0, 0, '', 0, $7, $7)`,
			inst.ID, a.account, strconv.FormatInt(a.account, 10), "user"+strconv.FormatInt(a.account, 10), a.status, a.failed, now); err != nil {
			t.Fatal(err)
		}
		if err := access.SetAccountPermissions(ctx, site.DB, a.account, []string{inst.Permission()}, now); err != nil {
			t.Fatal(err)
		}
	}
	body = admin.expect(t, page, nil, http.StatusOK, "HTTP 403: Missing Permissions", "user"+strconv.FormatInt(admin.account, 10))
	if !strings.Contains(body, fmt.Sprintf(`href="/admin/services/voice/audit?account=%d"`, admin.account)) {
		t.Error("the failing account has no link to its log")
	}
	if strings.Contains(body, fmt.Sprintf(`href="/admin/accounts/%d"`, admin.account)) {
		t.Error("a service admin without the user-admin role is offered the account's page")
	}
	for field, n := range map[string]int{"accounts": 2, "errors": 1} {
		if !regexp.MustCompile(`data-field="` + field + `">(<span[^>]*>)?` + strconv.Itoa(n) + `<`).MatchString(body) {
			t.Errorf("the status does not say %d %s", n, field)
		}
	}

	// Sync everyone and verify now wait for the service to be enabled.
	admin.expect(t, page+"/sync", url.Values{}, http.StatusOK, "The service is disabled: enable it first.")
	admin.expect(t, page+"/verify", url.Values{}, http.StatusOK, "The service is disabled: enable it first.")
	enabled := cloneValues(form)
	enabled.Set("enabled", "on")
	admin.expect(t, page, enabled, http.StatusOK, "Voice was saved; every linked account is being brought up to date.")
	admin.expect(t, page+"/sync", url.Values{}, http.StatusOK, "A sync of 2 accounts was queued.")
	// A sync is a mark on each account, worked by the instance's job.
	if n := jobs(t, site, "services_sync", fmt.Sprintf(`"instance":%d`, inst.ID)); n == 0 {
		t.Error("no sync job of the instance queued")
	}
	// (wanted only grows: the job may have applied the marks already.)
	var marked int
	if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM service_accounts WHERE instance_id = $1 AND wanted > 0`, inst.ID).Scan(&marked); err != nil || marked != 2 {
		t.Errorf("%d accounts marked for a sync (%v), want 2", marked, err)
	}
	admin.expect(t, page+"/verify", url.Values{}, http.StatusOK, "A verification was queued")
	if n := jobs(t, site, "services_verify", fmt.Sprintf(`"instance":%d`, inst.ID)); n == 0 {
		t.Error("no verification queued")
	}
	if inst, err = svc.Instance(ctx, "voice"); err != nil || inst.Settings["token"] != "new-token" {
		t.Fatalf("enabling lost the secret: %q (%v)", inst.Settings["token"], err)
	}

	// The service's groups cannot be listed, its connector not opened:
	// said on the page, never a failure of it.
	fake.set(nil, fmt.Errorf("fake: 503 from the server"))
	admin.expect(t, page, nil, http.StatusOK, "The service's groups could not be listed:", "fake: 503 from the server",
		"The service's setup was checked: no problem found.")
	down := cloneValues(form)
	down.Set("setting-server", "down")
	admin.expect(t, page, down, http.StatusOK, "Voice was saved.")
	admin.expect(t, page, nil, http.StatusOK, "Keepstar cannot connect to the service with these settings:", errDown.Error())

	testAuditLog(t, site, admin, member, inst)

	// An instance of a type this Keepstar no longer has (made here by a
	// Services that knows it): shown, and only deleted.
	gone := fake.Type()
	gone.Name = "retired"
	old, err := services.New(services.Options{DB: site.DB, SecretKey: site.Config.SecretKey, Types: []services.Type{gone}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Create(ctx, services.Input{Type: "retired", Slug: "old-voice", Name: "Old voice"}); err != nil {
		t.Fatal(err)
	}
	admin.expect(t, "/admin/services", nil, http.StatusOK, "Old voice", "Unknown type")
	body = admin.expect(t, "/admin/services/old-voice", nil, http.StatusOK, "This Keepstar does not include the type retired any more")
	if strings.Contains(body, `id="service-form"`) || !strings.Contains(body, `id="delete-service"`) {
		t.Error("a service of an unknown type is offered its form, or not its deletion")
	}
	admin.expect(t, "/admin/services/old-voice", settingsForm(false), http.StatusConflict)
	admin.expect(t, "/admin/services/old-voice/delete", url.Values{"confirm": {"yes"}}, http.StatusOK, "Old voice was deleted.")

	// Deletion: asked first, with what follows counted.
	admin.expect(t, page+"/delete", nil, http.StatusOK, "Delete the service Voice?",
		"2 linked accounts keep what they have on the service, but Keepstar stops managing them.",
		"2 grants of services.voice.access are removed.")
	admin.expect(t, page+"/delete", url.Values{}, http.StatusBadRequest)
	member.expect(t, page+"/delete", url.Values{"confirm": {"yes"}}, http.StatusForbidden)
	admin.expect(t, page+"/delete", url.Values{"confirm": {"yes"}}, http.StatusOK, "Voice was deleted.", "There is no service yet.")
	var grants int
	if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM account_permissions WHERE permission = 'services.voice.access'`).Scan(&grants); err != nil || grants != 0 {
		t.Errorf("%d grants left (%v)", grants, err)
	}
	admin.expect(t, page, nil, http.StatusNotFound)
}

// testAuditLog fills an instance's log and reads it a page at a time.
func testAuditLog(t *testing.T, site *sitetest.Site, admin, member visitor, inst services.Instance) {
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 150 {
		acct := admin.account
		if i%3 == 0 {
			acct = member.account
		}
		result := ""
		if i == 149 {
			result = "HTTP 429: rate limited"
		}
		if _, err := site.DB.Exec(ctx, `INSERT INTO service_audit (instance_id, account_id, account_name, action, detail, reason, result, at)
			VALUES ($1, $2, $3, 'update', $4, 'group changed', $5, $6)`, inst.ID, acct, "name"+strconv.FormatInt(acct, 10),
			fmt.Sprintf("+Line%d", i), result, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(where string, args ...any) int {
		var n int
		if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM service_audit WHERE instance_id = $1`+where, append([]any{inst.ID}, args...)...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	total := count("")
	if total < 150 || total > 200 {
		t.Fatalf("%d lines in the log", total)
	}
	log := "/admin/services/voice/audit"
	member.expect(t, log, nil, http.StatusForbidden)
	body := admin.expect(t, log, nil, http.StatusOK, "Audit log of Voice", "Line149", "HTTP 429: rate limited", "2026-05-01 14:29")
	if n := strings.Count(body, `data-entry="`); n != 100 {
		t.Fatalf("the first page has %d lines, want 100", n)
	}
	if strings.Index(body, "Line149") > strings.Index(body, "Line148") {
		t.Error("the log is not newest first")
	}
	older := regexp.MustCompile(`href="(/admin/services/voice/audit\?before=\d+)" id="audit-older"`).FindStringSubmatch(body)
	if older == nil {
		t.Fatal("no link to older lines")
	}
	body = admin.expect(t, html.UnescapeString(older[1]), nil, http.StatusOK)
	if !strings.Contains(body, "Line0<") || strings.Contains(body, "Line149<") {
		t.Error("the second page does not end the log")
	}
	if n := strings.Count(body, `data-entry="`); n != total-100 {
		t.Errorf("the second page has %d lines, want %d", n, total-100)
	}
	if strings.Contains(body, `id="audit-older"`) || !strings.Contains(body, `id="audit-newest"`) {
		t.Error("the last page offers older lines, or not the newest")
	}
	// One account's lines, paged with the filter kept.
	mine := count(" AND account_id = $2", member.account)
	body = admin.expect(t, fmt.Sprintf("%s?account=%d", log, member.account), nil, http.StatusOK)
	if n := strings.Count(body, `data-entry="`); n != min(mine, 100) {
		t.Errorf("the member's page has %d lines, want %d", n, min(mine, 100))
	}
	if n := strings.Count(body, fmt.Sprintf(`data-account-id="%d"`, member.account)); n != min(mine, 100) {
		t.Errorf("%d lines of the member's, want %d", n, min(mine, 100))
	}
	admin.expect(t, log+"?before=abc", nil, http.StatusBadRequest, "The account and page of this address must be numbers.")
	admin.expect(t, log+"?account=-1", nil, http.StatusBadRequest)
}

// jobs counts the jobs of kind whose arguments contain args.
func jobs(t *testing.T, site *sitetest.Site, kind, args string) int {
	t.Helper()
	// SQLite keeps the arguments as JSONB, PostgreSQL as jsonb: each
	// gives them as text its own way.
	text := `json(args)`
	if site.DB.Dialect() == config.Postgres {
		text = `replace(CAST(args AS TEXT), ' ', '')`
	}
	var n int
	err := site.DB.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = $1 AND `+text+` LIKE $2`,
		kind, "%"+args+"%").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mapsEqual[K comparable](a, b map[K]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// TestAdminMessagesExist checks the ids the admin pages build at run time:
// an action of the log, a placeholder of the name formats.
func TestAdminMessagesExist(t *testing.T) {
	c, err := app.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range []string{services.ActionLink, services.ActionUpdate, services.ActionRemove, services.ActionUnlink,
		services.ActionPassword, services.ActionVerify} {
		ids = append(ids, "services.admin.action."+a)
	}
	for _, p := range services.Placeholders {
		ids = append(ids, "services.admin.placeholder."+p)
	}
	for _, id := range ids {
		if !c.Has(id) {
			t.Errorf("message %s is missing", id)
		}
	}
}
