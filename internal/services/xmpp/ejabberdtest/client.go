package ejabberdtest

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"sync"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Message is a message a Client received.
type Message struct {
	From, Type, Body string
}

// Client is a real XMPP client (mellium.im/xmpp) logged in to the test
// server: SASL (SCRAM, else PLAIN) and resource binding over plain TCP on
// loopback, which the client is told is secure (the test server has no
// certificate), then initial presence so that offline messages come.
type Client struct {
	s        *xmpp.Session
	messages chan Message
	done     chan struct{}
	once     sync.Once
	err      error // why the session ended, once done is closed
}

// Login logs in as the bare JID with password at addr (host:port).
func Login(ctx context.Context, addr, bare, password string) (*Client, error) {
	origin, err := jid.Parse(bare)
	if err != nil {
		return nil, fmt.Errorf("ejabberdtest: JID %q: %w", bare, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	negotiate := xmpp.NewNegotiator(func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
		return xmpp.StreamConfig{Features: []xmpp.StreamFeature{
			xmpp.SASL("", password, sasl.ScramSha256, sasl.ScramSha1, sasl.Plain),
			xmpp.BindResource(),
		}}
	})
	s, err := xmpp.NewSession(ctx, origin.Domain(), origin, conn, xmpp.Secure, negotiate)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &Client{s: s, messages: make(chan Message, 64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.err = s.Serve(xmpp.HandlerFunc(c.handle))
	}()
	if err := s.Send(ctx, stanza.Presence{}.Wrap(nil)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) handle(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	if start.Name.Local != "message" {
		return nil
	}
	var m struct {
		From string `xml:"from,attr"`
		Type string `xml:"type,attr"`
		Body string `xml:"body"`
	}
	// The reader starts inside the element: the decoder is given its start.
	if err := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), t)).Decode(&m); err != nil {
		return err
	}
	if m.Body == "" {
		return nil
	}
	select {
	case c.messages <- Message{From: m.From, Type: m.Type, Body: m.Body}:
	default: // a test that does not read them
	}
	return nil
}

// Messages are the messages with a body the client received.
func (c *Client) Messages() <-chan Message { return c.messages }

// Done is closed when the session ends (the server kicked the client).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the session ended, once Done is closed.
func (c *Client) Err() error {
	<-c.done
	return c.err
}

// Close ends the session.
func (c *Client) Close() error {
	var err error
	c.once.Do(func() { err = c.s.Close(); _ = c.s.Conn().Close() })
	return err
}
