package discordsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// MaxMessage is the longest content of a message Discord takes, in
// characters (a bot without Nitro's longer limit).
const MaxMessage = 2000

// bucketChannelMessage is posting in a channel: 5 per 5 s per channel, the
// budget Discord's libraries observe on this route; its top-level resource
// is the channel, so each channel counts on its own.
var bucketChannelMessage = bucketSpec{"9c3e1a7f5b2dchannel-message", 5, 5 * time.Second}

// Permission bits of a channel's overwrites the simulator checks.
const (
	PermViewChannel  uint64 = 1 << 10
	PermSendMessages uint64 = 1 << 11
)

// Channel is a guild's text channel.
type Channel struct {
	ID, GuildID, Name string
}

// Message is one message posted in a channel.
type Message struct {
	ID, ChannelID, AuthorID string
	Content                 string
	Timestamp               time.Time
}

// channel is a text channel with what the bot may do there: what the
// guild's roles and the channel's overwrites would give it, set by tests.
type channel struct {
	Channel
	botPerms uint64
	messages []Message
}

// AddChannel creates a text channel in a guild where the bot may view and
// send messages.
func (s *Server) AddChannel(guildID, name string) (Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return Channel{}, fmt.Errorf("discordsim: no guild %s", guildID)
	}
	c := &channel{Channel: Channel{ID: s.newID(), GuildID: guildID, Name: name}, botPerms: PermViewChannel | PermSendMessages}
	if g.channels == nil {
		g.channels = map[string]*channel{}
	}
	g.channels[c.ID] = c
	return c.Channel, nil
}

// SetChannelPermissions sets what the bot may do in a channel (as the
// channel's overwrites would): without PermViewChannel it does not see the
// channel (403 Missing Access, 50001); seeing it without PermSendMessages,
// posting is 403 Missing Permissions (50013).
func (s *Server) SetChannelPermissions(channelID string, perms uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, c := s.channel(channelID); c != nil {
		c.botPerms = perms
	}
}

// DeleteChannel deletes a channel, as a guild's admin does in Discord's
// app: posting there is then 404 Unknown Channel (10003).
func (s *Server) DeleteChannel(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, c := s.channel(channelID); c != nil {
		delete(g.channels, c.ID)
	}
}

// Messages gives the messages posted in a channel, oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, c := s.channel(channelID); c != nil {
		return slices.Clone(c.messages)
	}
	return nil
}

// channel finds a channel and its guild; the caller holds the lock.
func (s *Server) channel(id string) (*guild, *channel) {
	for _, g := range s.guilds {
		if c := g.channels[id]; c != nil {
			return g, c
		}
	}
	return nil, nil
}

// channelAccess is what serve checks of a channel route before its
// handler: the channel exists (10003), the bot is in its guild and sees it
// (50001). The caller holds the lock.
func (s *Server) channelAccess(id string) (*guild, *apiError) {
	g, c := s.channel(id)
	if c == nil {
		return nil, errUnknownChannel
	}
	if !g.botIn || !g.botHasIn(c, PermViewChannel) {
		return nil, errMissingAccess
	}
	return g, nil
}

// botHasIn reports whether the bot holds perm in a channel: Administrator
// holds every permission everywhere.
func (g *guild) botHasIn(c *channel, perm uint64) bool {
	return g.botPerms&PermAdministrator != 0 || c.botPerms&perm == perm
}

var errUnknownChannel = &apiError{status: http.StatusNotFound, code: 10003, message: "Unknown Channel"}

// postMessage is POST /channels/{c}/messages with a JSON body: content of 1
// to 2000 characters (the simulator takes no embeds, files or stickers, so
// a message without content is empty: 50006), the bot allowed to send.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	c := g.channels[r.PathValue("c")]
	if !g.botHasIn(c, PermSendMessages) {
		return errMissingPerms
	}
	data, e := readBody(r)
	if e != nil {
		return e
	}
	var body struct {
		Content         *string         `json:"content"`
		AllowedMentions json.RawMessage `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return errBadJSON
	}
	if body.Content == nil || *body.Content == "" {
		return &apiError{status: http.StatusBadRequest, code: 50006, message: "Cannot send an empty message"}
	}
	if utf8.RuneCountInString(*body.Content) > MaxMessage {
		return invalidForm("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
	}
	m := Message{ID: s.newID(), ChannelID: c.ID, AuthorID: s.bot.ID, Content: *body.Content, Timestamp: s.now().UTC()}
	c.messages = append(c.messages, m)
	writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "channel_id": m.ChannelID, "content": m.Content, "type": 0,
		"timestamp": m.Timestamp.Format(time.RFC3339Nano), "author": userJSON(s.bot)})
	return nil
}
