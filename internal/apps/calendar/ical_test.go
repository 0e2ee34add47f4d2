package calendar

import (
	"strings"
	"testing"
	"time"

	"github.com/apognu/gocal"

	"github.com/keepstar/keepstar/internal/feature"
)

// The feed's text survives an independent parser: long lines folded
// without cutting a character, the characters TEXT escapes, line breaks,
// UTC times.
func TestFeedParses(t *testing.T) {
	start := time.Date(2026, 12, 24, 18, 30, 0, 0, time.UTC)
	long := strings.Repeat("Ünïcödé ✈ ", 30)
	events := []feature.Event{
		{UID: "timer-1", Start: start, End: start, Summary: "Hostile armor timer: Fortizar; bring, dreads\\now",
			Location: "1DQ1-A I - Moon 1", Description: "Owner: Goons\nline two\r\n" + long, Path: "/timers#timer-1"},
		{UID: "fleetop-2", Start: start.Add(time.Hour), End: start.Add(3 * time.Hour), Summary: long, Updated: start},
	}
	var b strings.Builder
	writeFeed(&b, "Test, site", events, "https://auth.example/", start)
	text := b.String()
	for i, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d has %d octets: %q", i, len(line), line)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("line %d holds a bare line feed", i)
		}
	}
	if !strings.HasSuffix(text, "\r\n") {
		t.Error("the feed does not end with CRLF")
	}
	from, to := start.AddDate(0, 0, -1), start.AddDate(0, 0, 1)
	p := gocal.NewParser(strings.NewReader(text))
	p.Start, p.End = &from, &to
	p.Strict = gocal.StrictParams{Mode: gocal.StrictModeFailFeed}
	if err := p.Parse(); err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 2 {
		t.Fatalf("%d events parsed", len(p.Events))
	}
	e := p.Events[0]
	if e.Uid != "timer-1" || !e.Start.Equal(start) || !e.End.Equal(start) {
		t.Errorf("first event: %s %v %v", e.Uid, e.Start, e.End)
	}
	if want := "Hostile armor timer: Fortizar; bring, dreads\\now"; e.Summary != want {
		t.Errorf("summary %q, want %q", e.Summary, want)
	}
	if !strings.Contains(e.Description, long) || !strings.HasPrefix(e.Description, "Owner: Goons") {
		t.Errorf("description %q", e.Description)
	}
	if e.URL != "https://auth.example/timers#timer-1" || e.Location != "1DQ1-A I - Moon 1" {
		t.Errorf("url %q, location %q", e.URL, e.Location)
	}
	if e := p.Events[1]; e.Summary != long || !e.End.Equal(start.Add(3*time.Hour)) {
		t.Errorf("second event: %q ends %v", e.Summary, e.End)
	}
}
