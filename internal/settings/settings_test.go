package settings_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

var (
	flag  = settings.Definition{Name: "t.flag", Kind: settings.KindBool, Default: "false"}
	count = settings.Definition{Name: "t.count", Kind: settings.KindInt, Default: "5", Min: 1, Max: 10}
	title = settings.Definition{Name: "t.title", Kind: settings.KindText, Default: "Hello", MaxLen: 10}
	body  = settings.Definition{Name: "t.body", Kind: settings.KindLong, MaxLen: 20}
	look  = settings.Definition{Name: "t.look", Kind: settings.KindEnum, Default: "a", Choices: []string{"a", "b"}}
	pic   = settings.Definition{Name: "t.pic", Kind: settings.KindImage, MaxLen: 100}
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		d        settings.Definition
		in, want string
		bad      bool
	}{
		{flag, "on", "true", false}, {flag, "", "false", false}, {flag, "true", "true", false}, {flag, "0", "false", false},
		{flag, "maybe", "", true},
		{count, " 7 ", "7", false}, {count, "0", "", true}, {count, "11", "", true}, {count, "x", "", true},
		{title, "  Hi  ", "Hi", false}, {title, "two\nlines", "", true}, {title, "elevenchars", "", true},
		{title, "\xff", "", true},
		{body, "a\r\nb", "a\nb", false}, {body, strings.Repeat("x", 21), "", true},
		{look, "b", "b", false}, {look, "c", "", true},
		{pic, "", "", false}, {pic, "text/html;PGI+", "", true}, {pic, "image/png;AAAA", "image/png;AAAA", false},
	} {
		got, err := tc.d.Check(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%s.Check(%q) = %q, %v", tc.d.Name, tc.in, got, err)
		}
		if err != nil && !errors.Is(err, settings.ErrInvalid) {
			t.Errorf("%s: error %v does not wrap ErrInvalid", tc.d.Name, err)
		}
	}
}

// png is the smallest PNG a browser shows: a 1x1 pixel.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func TestImages(t *testing.T) {
	v, err := pic.EncodeImage(png)
	if err != nil {
		t.Fatal(err)
	}
	ct, b, ok := settings.DecodeImage(v)
	if !ok || ct != "image/png" || string(b) != string(png) {
		t.Errorf("decode: %q %v", ct, ok)
	}
	// An SVG, HTML or anything that is not a picture is refused by its
	// content, whatever its name.
	for _, bad := range [][]byte{[]byte("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"), []byte("<html>"), {}} {
		if _, err := pic.EncodeImage(bad); !errors.Is(err, settings.ErrImageType) {
			t.Errorf("EncodeImage(%q): %v", bad, err)
		}
	}
	if _, err := pic.EncodeImage(append(png, make([]byte, 100)...)); err == nil {
		t.Error("oversized picture accepted")
	}
}

func TestRegistryRefusesDuplicatesAndBadDefaults(t *testing.T) {
	for name, groups := range map[string][][]settings.Definition{
		"duplicate":   {{flag}, {flag}},
		"bad default": {{count.WithDefault("99")}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			settings.NewRegistry(groups...)
		}()
	}
}

func TestStoreSetAllOrNothingAndSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		reg := settings.NewRegistry([]settings.Definition{flag, count, title.WithDefault("Site"), look})
		st := settings.NewStore(db, reg, func() time.Time { return now }, time.Minute)
		v, err := st.Values(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Defaults, the registered one winning over the definition's own.
		if v.Bool(flag) || v.Int(count) != 5 || v.String(title) != "Site" || v.String(look) != "a" {
			t.Errorf("defaults: %v %d %q %q", v.Bool(flag), v.Int(count), v.String(title), v.String(look))
		}
		if err := st.Set(ctx, map[string]string{"t.flag": "on", "t.count": "8"}); err != nil {
			t.Fatal(err)
		}
		v, _ = st.Values(ctx)
		if !v.Bool(flag) || v.Int(count) != 8 {
			t.Errorf("after set: %v %d", v.Bool(flag), v.Int(count))
		}
		// One bad value: nothing is written, and every problem is named.
		err = st.Set(ctx, map[string]string{"t.count": "3", "t.look": "z", "t.unknown": "1"})
		var invalid *i18n.InvalidError
		if !errors.As(err, &invalid) || !errors.Is(err, settings.ErrInvalid) || len(invalid.Problems) != 2 ||
			invalid.Problems[0].Field != "t.unknown" || invalid.Problems[1].Field != "t.look" || invalid.Problems[1].ID != "settings.error.choice" {
			t.Fatalf("bad set: %v", err)
		}
		v, _ = st.Values(ctx)
		if v.Int(count) != 8 {
			t.Error("a refused set wrote a value")
		}
		// Another process's change shows once the snapshot is older than
		// the TTL.
		other := settings.NewStore(db, reg, func() time.Time { return now }, time.Minute)
		if err := other.Set(ctx, map[string]string{"t.count": "2"}); err != nil {
			t.Fatal(err)
		}
		if v, _ := st.Values(ctx); v.Int(count) != 8 {
			t.Error("snapshot read again before its TTL")
		}
		now = now.Add(2 * time.Minute)
		if v, _ := st.Values(ctx); v.Int(count) != 2 {
			t.Error("snapshot not read again after its TTL")
		}
		// A stored value no longer valid falls back to the default.
		if _, err := db.Exec(ctx, `UPDATE settings SET value = 'nonsense' WHERE name = 't.count'`); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Minute)
		if v, _ := st.Values(ctx); v.Int(count) != 5 {
			t.Errorf("invalid stored value: %d", v.Int(count))
		}
	})
}
