package appapi

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestIntegerArrayFromBody: the bodies Neucore reads as an array of ids,
// and those it refuses (ok false: its 400).
func TestIntegerArrayFromBody(t *testing.T) {
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	_ = mw.WriteField("a", "12")
	_ = mw.WriteField("b[]", "13")
	fw, _ := mw.CreateFormFile("c", "ids.txt")
	_, _ = fw.Write([]byte("99"))
	_ = mw.WriteField("d", "14abc")
	_ = mw.Close()

	for _, c := range []struct {
		name, method, contentType, body string
		want                            []int64 // nil: refused
	}{
		{"JSON ints", "POST", "application/json", `[3, 1, 2]`, []int64{3, 1, 2}},
		{"JSON with charset", "POST", "application/json; charset=utf-8", ` [1] `, []int64{1}},
		{"JSON intval", "POST", "application/json", `["12", "12abc", " 7", "abc", 3.9, -2.5, 1e3, true, false, null, [], [0], {}, "1e2"]`,
			[]int64{12, 7, 0, 3, -2, 1000, 1, 100}},
		{"JSON repeats", "POST", "application/json", `[5, "5", 5.0, 6]`, []int64{5, 6}},
		{"JSON empty", "POST", "application/json", `[]`, []int64{}},
		{"JSON huge", "POST", "application/json", `["99999999999999999999"]`, []int64{9223372036854775807}},
		{"JSON object", "POST", "application/json", `{"0": 1}`, nil},
		{"JSON scalar", "POST", "application/json", `1`, nil},
		{"JSON null", "POST", "application/json", `null`, nil},
		{"JSON empty body", "POST", "application/json", ``, nil},
		{"JSON trailing", "POST", "application/json", `[1] x`, nil},
		{"JSON invalid UTF-8", "POST", "application/json", "[\"\xff\"]", nil},
		{"no content type", "POST", "", `[1]`, nil},
		{"content type case", "POST", "Application/json", `[1]`, nil},
		{"text", "POST", "text/plain", `[1]`, nil},
		{"form", "POST", "application/x-www-form-urlencoded", `a=1&b=2&a=3&c[]=7&+d.e=4&=9&f`, []int64{3, 2, 1, 4, 0}},
		{"form unclosed bracket", "POST", "application/x-www-form-urlencoded", `a[b=5&a_b=6`, []int64{6}},
		{"form case", "POST", "Application/X-WWW-Form-Urlencoded; charset=UTF-8", `a=%31%32`, []int64{12}},
		{"form not posted", "PUT", "application/x-www-form-urlencoded", `a=1`, nil},
		{"multipart", "POST", mw.FormDataContentType(), multi.String(), []int64{12, 1, 14}},
		{"multipart without boundary", "POST", "multipart/form-data", multi.String(), nil},
	} {
		r := httptest.NewRequest(c.method, "/", strings.NewReader(c.body))
		if c.contentType != "" {
			r.Header.Set("Content-Type", c.contentType)
		}
		got, ok := integerArrayFromBody(r)
		switch {
		case c.want == nil && ok:
			t.Errorf("%s: read %v, want refused", c.name, got)
		case c.want != nil && (!ok || !slices.Equal(got, c.want)):
			t.Errorf("%s: %v %v, want %v", c.name, got, ok, c.want)
		}
	}
}

// TestPHPPostLimits: PHP keeps the first max_input_vars fields and drops
// names nested too deep.
func TestPHPPostLimits(t *testing.T) {
	var fields []field
	for i := range maxInputVars + 10 {
		fields = append(fields, field{fmt.Sprint("v", i), fmt.Sprint(i)})
	}
	if got := phpPost(fields); len(got) != maxInputVars || got[maxInputVars-1] != fmt.Sprint(maxInputVars-1) {
		t.Errorf("%d fields kept, want %d", len(got), maxInputVars)
	}
	deep := "a" + strings.Repeat("[x]", maxInputNesting+1)
	if got := phpPost([]field{{deep, "1"}, {"a" + strings.Repeat("[x]", maxInputNesting), "2"}}); len(got) != 1 {
		t.Errorf("nesting: %v", got)
	}
}

// FuzzIntegerArrayFromBody: no body, however malformed, makes the reader
// fail other than by refusing.
func FuzzIntegerArrayFromBody(f *testing.F) {
	for _, s := range []string{`[1,"2",3.5]`, `a=1&b[]=2`, `{"a":1}`, "\xff", `a[b[c]]d=1`} {
		f.Add("application/json", s)
		f.Add("application/x-www-form-urlencoded", s)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		ids, ok := integerArrayFromBody(r)
		if !ok && ids != nil {
			t.Errorf("refused with ids %v", ids)
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Errorf("id %d twice", id)
			}
			seen[id] = true
		}
	})
}

// TestDefaultTokenAsNeucore: the token fields of a character, from its
// core.default token.
func TestDefaultTokenAsNeucore(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	failed, checked := created.Add(time.Hour), created.Add(2*time.Hour)
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name                string
		tok                 defaultToken
		valid               string
		validTime, lastTime Time
	}{
		{"none", defaultToken{}, "null", Time{}, Time{}},
		{"valid", defaultToken{validity: str("valid"), scopes: str("publicData"), checkedAt: &checked, createdAt: &created},
			"true", TimeOf(created), TimeOf(checked)},
		{"invalid", defaultToken{validity: str("invalid"), scopes: str("publicData"), invalidSince: &failed, checkedAt: &checked, createdAt: &created},
			"false", TimeOf(failed), TimeOf(checked)},
		{"no scopes", defaultToken{validity: str("valid"), scopes: str(""), checkedAt: &checked, createdAt: &created},
			"null", Time{}, TimeOf(checked)},
	} {
		valid, validTime, lastChecked := c.tok.neucore()
		got := "null"
		if valid != nil {
			got = fmt.Sprint(*valid)
		}
		vt, _ := validTime.MarshalJSON()
		wvt, _ := c.validTime.MarshalJSON()
		lc, _ := lastChecked.MarshalJSON()
		wlc, _ := c.lastTime.MarshalJSON()
		if got != c.valid || string(vt) != string(wvt) || string(lc) != string(wlc) {
			t.Errorf("%s: %s %s %s, want %s %s %s", c.name, got, vt, lc, c.valid, wvt, wlc)
		}
	}
}

// TestSortByName: names go as MySQL's unicode_520_ci orders them, without
// case or accents, equal names by id.
func TestSortByName(t *testing.T) {
	type named struct {
		name string
		id   int64
	}
	got := []named{{"zed", 1}, {"Émile", 2}, {"alpha", 3}, {"Beta", 4}, {"emile", 1}, {"Alpha", 0}, {"a b", 5}}
	sortByName(got, func(n named) (string, int64) { return n.name, n.id })
	want := []named{{"a b", 5}, {"Alpha", 0}, {"alpha", 3}, {"Beta", 4}, {"emile", 1}, {"Émile", 2}, {"zed", 1}}
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n got %v\nwant %v", got, want)
	}
}
