package tracking

import (
	"testing"
	"time"
)

// The setting reads as Neucore's fetch_structure_name_error_days, and a
// structure waits per its error count; bad values are refused.
func TestStructureBackoff(t *testing.T) {
	b, err := parseBackoff("3=7, 10=30")
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	for errors, want := range map[int]time.Duration{0: 0, 1: 0, 2: 0, 3: 7 * day, 9: 7 * day, 10: 30 * day, 50: 30 * day} {
		if got := b.wait(errors); got != want {
			t.Errorf("after %d errors: %s, want %s", errors, got, want)
		}
	}
	if b, err := parseBackoff(""); err != nil || b.wait(100) != 0 {
		t.Errorf("empty: %v, %v", b, err)
	}
	for _, bad := range []string{"3", "3=x", "0=7", "3=-1", "10=30,3=7", "3=7,3=9", "=", "3=99999"} {
		if _, err := parseBackoff(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := SettingStructureErrorDays.Validate(SettingStructureErrorDays.Default); err != nil {
		t.Errorf("the default refused: %v", err)
	}
}

// Location ids fall in Neucore's categories by ESI's ranges.
func TestLocationCategory(t *testing.T) {
	for id, want := range map[int64]string{30000142: "system", 60003760: "station", 1035466617946: "structure"} {
		if got := LocationCategory(id); got != want {
			t.Errorf("%d: %s, want %s", id, got, want)
		}
	}
}

// A name starting like a formula is quoted for spreadsheets.
func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(1)": "'=HYPERLINK(1)", "+1": "'+1", "-x": "'-x", "@a": "'@a", "Bob": "Bob", "": ""} {
		if got := safeCell(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
