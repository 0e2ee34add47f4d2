package appapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// seedTracking stores member tracking data of s.corp as the tracking job
// stores it: P0 (on an account, valid token) logged on an hour ago in a
// station, P1 (on an account, invalid token) 20 days ago in a structure
// whose name was refused, and a character on no account who never logged
// on, without location or ship.
func seedTracking(t *testing.T, s *charsSite, now time.Time) int32 {
	t.Helper()
	ctx := context.Background()
	db := s.site.DB
	const unregistered = 2112000099
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO tracking_corporations (corporation_id, name, director_id, fetched_at, expires_at, error)
		VALUES ($1, 'Corp', $2, $3, $4, '')`, s.corp, s.p0, now, now.Add(time.Hour))
	exec(`INSERT INTO tracking_names (kind, id, name, expires_at, error_count) VALUES ('location', 60003760, 'Jita IV - Moon 4', $1, 0)`, now.Add(time.Hour))
	exec(`INSERT INTO tracking_names (kind, id, name, expires_at, error_count, error_at) VALUES ('location', 1035466617946, '', $1, 1, $1)`, now)
	exec(`INSERT INTO tracking_names (kind, id, name, expires_at, error_count) VALUES ('type', 587, 'Rifter', $1, 0)`, now.Add(time.Hour))
	member := func(id int32, name string, logon *time.Time, location, ship any) {
		exec(`INSERT INTO tracking_members (character_id, corporation_id, name, logon_at, logoff_at, location_id, ship_type_id, start_date, updated_at)
			VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)`, id, s.corp, name, logon, location, ship, now.AddDate(-1, 0, 0), now)
	}
	hourAgo, twentyDays := now.Add(-time.Hour), now.AddDate(0, 0, -20)
	member(s.p0, "P0", &hourAgo, int64(60003760), int64(587))
	member(s.p1, "P1", &twentyDays, int64(1035466617946), int64(587))
	member(unregistered, "Stranger", nil, nil, nil)
	return unregistered
}

// memberTracking answers from the stored data with Neucore's shapes, most
// recent logon first, and each of its filters narrows it as Neucore's do.
func TestMemberTrackingFromTheData(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		s := startCharsSite(t, d)
		now := time.Now().UTC().Truncate(time.Second)
		stranger := seedTracking(t, s, now)
		path := func(q string) string { return fmt.Sprintf("/api/app/v1/corporation/%d/member-tracking%s", s.corp, q) }
		ids := func(q string) []int64 {
			t.Helper()
			status, _, body := s.call(t, http.MethodGet, path(q), s.tracking, "", "")
			if status != 200 {
				t.Fatalf("%s: %d %s", q, status, body)
			}
			var v []map[string]any
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			var raw any
			_ = json.Unmarshal([]byte(body), &raw)
			checkCharsSchema(t, http.MethodGet, path(q), raw)
			var out []int64
			for _, m := range v {
				out = append(out, int64(m["id"].(float64)))
			}
			return out
		}
		p0, p1, x := int64(s.p0), int64(s.p1), int64(stranger)
		for q, want := range map[string][]int64{
			"":                            {p0, p1, x},
			"?inactive=7":                 {p1, x},
			"?active=7":                   {p0},
			"?active=30&inactive=7":       {p1},
			"?account=true":               {p0, p1},
			"?account=false":              {x},
			"?inactive=x&account=maybe":   {p0, p1, x}, // PHP's (int): no filter
			"?inactive=7abc&account=true": {p1},
		} {
			if got := ids(q); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", q, got, want)
			}
		}
		ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
		hourAgo := now.Add(-time.Hour)
		s.expectAs(t, path("?active=7"), s.tracking, []any{map[string]any{
			"id": p0, "name": "P0", "location": map[string]any{"id": 60003760, "category": "station", "name": "Jita IV - Moon 4"},
			"logoffDate": ts(hourAgo), "logonDate": ts(hourAgo), "shipType": map[string]any{"id": 587, "name": "Rifter"},
			"startDate": ts(now.AddDate(-1, 0, 0)), "missingCharacterMailSentDate": nil, "missingCharacterMailSentResult": nil,
			"missingCharacterMailSentNumber": 0,
		}})
		s.expectAs(t, path("?account=false"), s.tracking, []any{map[string]any{
			"id": x, "name": "Stranger", "logoffDate": nil, "logonDate": nil,
			"startDate": ts(now.AddDate(-1, 0, 0)), "missingCharacterMailSentDate": nil, "missingCharacterMailSentResult": nil,
			"missingCharacterMailSentNumber": 0,
		}})
		status, _, body := s.call(t, http.MethodGet, path("?inactive=7&account=true"), s.tracking, "", "")
		var v []map[string]any
		if status != 200 || json.Unmarshal([]byte(body), &v) != nil || len(v) != 1 {
			t.Fatalf("structure: %d %s", status, body)
		}
		if loc := v[0]["location"].(map[string]any); loc["category"] != "structure" || loc["name"] != nil {
			t.Errorf("a structure without a name: %v", loc)
		}
		// Another corporation, unknown: an empty list.
		if status, _, body := s.call(t, http.MethodGet, "/api/app/v1/corporation/98000001/member-tracking", s.tracking, "", ""); status != 200 || body != "[]" {
			t.Errorf("unknown corporation: %d %s", status, body)
		}
	})
}

// expectAs is expect with the app's Authorization of choice.
func (s *charsSite) expectAs(t *testing.T, path, auth string, want any) {
	t.Helper()
	status, _, got := s.call(t, http.MethodGet, path, auth, "", "")
	if status != http.StatusOK {
		t.Fatalf("%s: %d %q", path, status, got)
	}
	var v, wv any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("%s: %v in %q", path, err, got)
	}
	w, _ := json.Marshal(want)
	_ = json.Unmarshal(w, &wv)
	norm, _ := json.Marshal(v)
	w, _ = json.Marshal(wv)
	if string(norm) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", path, norm, w)
	}
	checkCharsSchema(t, http.MethodGet, path, v)
}
