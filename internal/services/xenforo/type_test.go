package xenforo

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/xenforosim"
)

func TestUsername(t *testing.T) {
	for _, c := range []struct {
		in     string
		suffix bool
		want   string
	}{
		{"Some Pilot", false, "Some Pilot"},
		{"  O'Neil,  Jr.\t", false, "O'Neil Jr."},
		{"Ёжик в тумане", false, "Ёжик в тумане"},
		{"伊藤", false, "伊藤 42"},
		{"", false, "Pilot 42"},
		{"me@example.org", false, "me_example.org"},
		{"A Very Long Character Name Indeed", false, "A Very Long Character Nam"},
		{"A Very Long Character Name Indeed", true, "A Very Long Character 42"},
	} {
		if got := Username(c.in, 42, c.suffix); got != c.want {
			t.Errorf("Username(%q, %v) = %q, want %q", c.in, c.suffix, got, c.want)
		}
	}
}

func TestCheckEndpoint(t *testing.T) {
	for v, ok := range map[string]bool{"https://forum.example.org/api.php": true, "http://127.0.0.1:8080/api.php": true,
		"http://localhost/forum/api.php": true, "http://forum.example.org/api.php": false, "https://forum.example.org/": false,
		"https://forum.example.org/api.php?hash=x": false, "ftp://forum.example.org/api.php": false} {
		if got := checkEndpoint(v) == nil; got != ok {
			t.Errorf("checkEndpoint(%q): %v, want %v", v, got, ok)
		}
	}
}

// A key the forum refuses: the error says so without the key, which
// XenAPI's own message repeats.
func TestKeyNotInErrors(t *testing.T) {
	ts := httptest.NewServer(xenforosim.New(xenforosim.Options{APIKey: "the-right-key"}))
	defer ts.Close()
	c, err := open(services.Instance{Slug: "xf", Settings: map[string]string{SettingEndpoint: ts.URL + "/api.php",
		SettingAPIKey: "a-wrong-secret-key", SettingMemberGroup: "Registered", SettingEmailDomain: "users.example.org"}}, services.Env{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Create(context.Background(), services.Want{Name: "Some Pilot", AccountID: 7}, "password123")
	if err == nil || strings.Contains(err.Error(), "a-wrong-secret-key") || !strings.Contains(err.Error(), "error 6") {
		t.Fatalf("error %v", err)
	}
}
