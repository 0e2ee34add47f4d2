package discord

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/discordsim"
)

// TestAnnounce posts a group ping in the instance's ping channel on the
// simulated Discord, and meets its refusals as errors the caller records.
func TestAnnounce(t *testing.T) {
	ctx := context.Background()
	w := newConn(t, nil)
	if w.k.CanAnnounce() {
		t.Fatal("an instance without a ping channel says it can announce")
	}
	if err := w.k.Announce(ctx, "x"); !errors.Is(err, ErrNoPingChannel) {
		t.Fatalf("announce without a channel: %v", err)
	}
	ch, err := w.sim.AddChannel(w.guild.ID, "pings")
	if err != nil {
		t.Fatal(err)
	}
	k := w.open(map[string]string{SettingPingChannel: ch.ID})
	if !k.CanAnnounce() {
		t.Fatal("an instance with a ping channel cannot announce")
	}
	if err := k.Announce(ctx, "Fleet up @everyone\n"); err != nil {
		t.Fatal(err)
	}
	msgs := w.sim.Messages(ch.ID)
	if len(msgs) != 1 || msgs[0].Content != "Fleet up @everyone" {
		t.Fatalf("messages %+v", msgs)
	}
	// Five per five seconds in one channel: the sixth waits for the
	// bucket (on the test's clock) instead of drawing a 429.
	for range 5 {
		if err := k.Announce(ctx, "again"); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.sim.Served429(); n != 0 {
		t.Errorf("%d 429s served", n)
	}
	if n := len(w.sim.Messages(ch.ID)); n != 6 {
		t.Errorf("%d messages, want 6", n)
	}

	// Refusals: too long, a channel the bot cannot see or post in, a
	// deleted channel.
	if err := k.Announce(ctx, strings.Repeat("a", MaxMessage+1)); err == nil {
		t.Error("a message over 2000 characters was sent")
	}
	w.sim.SetChannelPermissions(ch.ID, discordsim.PermViewChannel)
	if err := k.Announce(ctx, "x"); !errors.Is(err, ErrMissingPermissions) {
		t.Errorf("without the right to post: %v", err)
	}
	w.sim.SetChannelPermissions(ch.ID, 0)
	if err := k.Announce(ctx, "x"); !errors.Is(err, ErrMissingAccess) {
		t.Errorf("a channel the bot does not see: %v", err)
	}
	w.sim.DeleteChannel(ch.ID)
	var apiErr *APIError
	if err := k.Announce(ctx, "x"); !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != 10003 {
		t.Errorf("a deleted channel: %v", err)
	}
}

func TestPingChannelSetting(t *testing.T) {
	for _, s := range Type().Settings {
		if s.Key != SettingPingChannel {
			continue
		}
		if s.Required || s.Secret || s.Check("123456789012345678") != nil || s.Check("#pings") == nil {
			t.Errorf("ping channel setting %+v", s)
		}
		return
	}
	t.Fatal("no ping channel setting")
}
