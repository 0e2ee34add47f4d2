package discordsim

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPostMessage follows Discord's rules for a bot's message: 1 to 2000
// characters, a known channel the bot sees (50001) and may post in (50013),
// the bot token, and the channel's own rate-limit bucket.
func TestPostMessage(t *testing.T) {
	w := newWorld(t)
	ch, err := w.s.AddChannel(w.guild.ID, "pings")
	if err != nil {
		t.Fatal(err)
	}
	path := "/channels/" + ch.ID + "/messages"

	r := w.bot("POST", path, `{"content":"Fleet up in 10","allowed_mentions":{"parse":[]}}`)
	want(t, r, http.StatusOK, 0)
	if got := r.json(t); got["content"] != "Fleet up in 10" || got["channel_id"] != ch.ID {
		t.Errorf("answer %v", got)
	}
	if r.header.Get("X-RateLimit-Bucket") == "" || r.header.Get("X-RateLimit-Remaining") != "4" {
		t.Errorf("rate-limit headers %v", r.header)
	}
	msgs := w.s.Messages(ch.ID)
	if len(msgs) != 1 || msgs[0].Content != "Fleet up in 10" || msgs[0].AuthorID != w.s.BotUser().ID {
		t.Fatalf("messages %+v", msgs)
	}

	// Content: none, empty, 2000 characters (runes, not bytes) and 2001.
	want(t, w.bot("POST", path, `{}`), http.StatusBadRequest, 50006)
	want(t, w.bot("POST", path, `{"content":""}`), http.StatusBadRequest, 50006)
	want(t, w.bot("POST", path, `{"content":`), http.StatusBadRequest, 50109)
	w.now = w.now.Add(5 * time.Second) // a fresh bucket
	want(t, w.bot("POST", path, `{"content":"`+strings.Repeat("é", MaxMessage)+`"}`), http.StatusOK, 0)
	want(t, w.bot("POST", path, `{"content":"`+strings.Repeat("é", MaxMessage+1)+`"}`), http.StatusBadRequest, 50035)

	// Without the bot token; an unknown channel; a channel the bot does not
	// see, or sees without the right to post; a guild the bot left.
	want(t, w.do("POST", "/api/v10"+path, "Bot wrong", "application/json", `{"content":"x"}`), http.StatusUnauthorized, 40001)
	w.now = w.now.Add(5 * time.Second)
	want(t, w.bot("POST", "/channels/42/messages", `{"content":"x"}`), http.StatusNotFound, 10003)
	w.s.SetChannelPermissions(ch.ID, PermSendMessages)
	want(t, w.bot("POST", path, `{"content":"x"}`), http.StatusForbidden, 50001)
	w.s.SetChannelPermissions(ch.ID, PermViewChannel)
	want(t, w.bot("POST", path, `{"content":"x"}`), http.StatusForbidden, 50013)
	w.s.SetBotPermissions(w.guild.ID, PermAdministrator)
	want(t, w.bot("POST", path, `{"content":"admin"}`), http.StatusOK, 0)
	w.s.SetBotInGuild(w.guild.ID, false)
	want(t, w.bot("POST", path, `{"content":"x"}`), http.StatusForbidden, 50001)
	w.s.SetBotInGuild(w.guild.ID, true)
	w.s.DeleteChannel(ch.ID)
	w.now = w.now.Add(5 * time.Second)
	want(t, w.bot("POST", path, `{"content":"x"}`), http.StatusNotFound, 10003)
	if n := len(w.s.Messages(ch.ID)); n != 0 {
		t.Errorf("a deleted channel still has %d messages", n)
	}
}

// TestPostMessageBucket: 5 messages per 5 s in one channel, then 429 with
// the bucket's wait; another channel counts on its own.
func TestPostMessageBucket(t *testing.T) {
	w := newWorld(t)
	a, _ := w.s.AddChannel(w.guild.ID, "a")
	b, _ := w.s.AddChannel(w.guild.ID, "b")
	for i := range 5 {
		want(t, w.bot("POST", "/channels/"+a.ID+"/messages", `{"content":"m`+strconv.Itoa(i)+`"}`), http.StatusOK, 0)
	}
	r := w.bot("POST", "/channels/"+a.ID+"/messages", `{"content":"one too many"}`)
	want(t, r, http.StatusTooManyRequests, 0)
	if r.header.Get("X-RateLimit-Scope") != "user" || r.json(t)["retry_after"].(float64) <= 0 {
		t.Errorf("429 %v %s", r.header, r.body)
	}
	want(t, w.bot("POST", "/channels/"+b.ID+"/messages", `{"content":"elsewhere"}`), http.StatusOK, 0)
	w.now = w.now.Add(5 * time.Second)
	want(t, w.bot("POST", "/channels/"+a.ID+"/messages", `{"content":"again"}`), http.StatusOK, 0)
	if n := len(w.s.Messages(a.ID)); n != 6 {
		t.Errorf("%d messages in a, want 6", n)
	}
}

// TestGuildPageShowsMessages: the demo's visitors see a ping arrive on the
// guild's page.
func TestGuildPageShowsMessages(t *testing.T) {
	w := newWorld(t)
	ch, _ := w.s.AddChannel(w.guild.ID, "pings")
	want(t, w.bot("POST", "/channels/"+ch.ID+"/messages", `{"content":"Fleet <up>"}`), http.StatusOK, 0)
	r := w.do("GET", "/guilds/"+w.guild.ID, "", "", "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "#pings") || !strings.Contains(string(r.body), "Fleet &lt;up&gt;") {
		t.Fatalf("guild page %d: %s", r.status, r.body)
	}
}
