package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxMessage is the longest content of a message a bot may post, in
// characters.
const MaxMessage = 2000

// Message is a message posted in a channel, as Discord answers it.
type Message struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
	Content   string `json:"content"`
}

const tChannelMessages = "/channels/{c}/messages"

// CreateMessage posts content (1 to MaxMessage characters) in a channel as
// the bot. Mentions in the content notify nobody (allowed_mentions is
// empty): the text is a member's, and an @everyone typed in it must not
// reach a whole guild. The route's limits count per channel.
func (c *Client) CreateMessage(ctx context.Context, channel, content string) (Message, error) {
	var m Message
	if err := checkIDs(channel); err != nil {
		return m, err
	}
	if n := utf8.RuneCountInString(content); n == 0 || n > MaxMessage {
		return m, fmt.Errorf("discord: a message has 1 to %d characters, not %d", MaxMessage, n)
	}
	body := map[string]any{"content": content, "allowed_mentions": map[string]any{"parse": []string{}}}
	_, err := c.do(ctx, call{method: http.MethodPost, template: tChannelMessages, major: channel,
		path: "/channels/" + url.PathEscape(channel) + "/messages", body: body, auth: c.bot()}, &m)
	return m, err
}

// ErrNoPingChannel: the instance has no ping channel set.
var ErrNoPingChannel = errors.New("discord: the service has no ping channel")

// CanAnnounce reports whether the instance has a ping channel, so that the
// group pings offer only instances that can post.
func (k *connector) CanAnnounce() bool { return k.pingChannel != "" }

// Announce posts a group ping in the instance's ping channel, waiting at
// most maxJobWait for the channel's rate limit.
func (k *connector) Announce(ctx context.Context, message string) error {
	if k.pingChannel == "" {
		return ErrNoPingChannel
	}
	if _, err := k.c.CreateMessage(WithMaxWait(ctx, maxJobWait), k.pingChannel, strings.TrimSpace(message)); err != nil {
		return fmt.Errorf("discord: post in channel %s: %w", k.pingChannel, err)
	}
	return nil
}
