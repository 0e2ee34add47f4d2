package ice

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ErrClosed is returned by calls on a connection that is closed, or that
// closed while they waited.
var ErrClosed = errors.New("ice: connection closed")

// Client is a connection to an Ice server (Murmur's Ice endpoint). Calls may
// be made from many goroutines at once; replies are matched by request id.
type Client struct {
	conn net.Conn

	writeMu sync.Mutex

	mu      sync.Mutex
	nextID  int32
	pending map[int32]chan Reply
	err     error // set once the connection is done
	done    chan struct{}
}

// Dial connects to address (host:port) and waits for the server's
// ValidateConnection, bounded by ctx.
func Dial(ctx context.Context, address string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("ice: dial %s: %w", address, err)
	}
	if err := awaitValidation(ctx, conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ice: %s: %w", address, err)
	}
	c := &Client{conn: conn, pending: map[int32]chan Reply{}, done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

func awaitValidation(ctx context.Context, conn net.Conn) error {
	// Closing the connection is the one way to interrupt a read when ctx
	// ends; a deadline from ctx covers the common case without a goroutine.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetReadDeadline(dl)
		defer conn.SetReadDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	t, _, err := ReadFrame(conn)
	if !stop() {
		// ctx ended and closed the connection, perhaps just after the
		// frame arrived.
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("awaiting connection validation: %w", err)
	}
	if t != MsgValidateConnection {
		return malformed("first message of type %d, want ValidateConnection", t)
	}
	return nil
}

func (c *Client) readLoop() {
	err := c.read()
	c.mu.Lock()
	c.err = err
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	close(c.done)
	for _, ch := range pending {
		close(ch)
	}
	c.conn.Close()
}

func (c *Client) read() error {
	for {
		t, body, err := ReadFrameLimit(c.conn, MaxReplyFrameSize)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrClosed, err)
		}
		switch t {
		case MsgValidateConnection: // a heartbeat
		case MsgCloseConnection:
			return fmt.Errorf("%w by the server", ErrClosed)
		case MsgReply:
			r, err := DecodeReply(body)
			if err != nil {
				return err
			}
			c.mu.Lock()
			ch, ok := c.pending[r.ID]
			delete(c.pending, r.ID)
			c.mu.Unlock()
			if ok {
				ch <- r // buffered; the caller may have gone
			}
		default:
			return malformed("client received message type %d", t)
		}
	}
}

// Call invokes operation on the object id with params (an encoding 1.0
// payload the caller encoded) and returns the reply's status and payload:
// the encapsulated results for StatusOK, the exception for
// StatusUserException, and nothing for the other statuses, which the error
// then describes. Transport and protocol failures are errors with status
// 0.
func (c *Client) Call(ctx context.Context, id Identity, operation string, mode byte, reqCtx map[string]string, params []byte) (byte, []byte, error) {
	ch := make(chan Reply, 1)
	c.mu.Lock()
	if c.pending == nil {
		err := c.err
		c.mu.Unlock()
		return 0, nil, err
	}
	c.nextID++
	if c.nextID <= 0 {
		c.nextID = 1
	}
	reqID := c.nextID
	c.pending[reqID] = ch
	c.mu.Unlock()

	if err := c.send(ctx, Request{ID: reqID, Identity: id, Operation: operation, Mode: mode, Context: reqCtx, Params: params}); err != nil {
		c.forget(reqID)
		return 0, nil, err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			return 0, nil, err
		}
		switch r.Status {
		case StatusOK, StatusUserException:
			return r.Status, r.Payload, nil
		case StatusObjectNotExist, StatusFacetNotExist, StatusOperationNotExist:
			return r.Status, nil, fmt.Errorf("ice: %s on %s: reply status %d (%s does not exist)", operation, id, r.Status, notExist[r.Status])
		default:
			return r.Status, nil, fmt.Errorf("ice: %s on %s: reply status %d: %s", operation, id, r.Status, r.Message)
		}
	case <-ctx.Done():
		c.forget(reqID)
		return 0, nil, ctx.Err()
	}
}

var notExist = map[byte]string{
	StatusObjectNotExist:    "object",
	StatusFacetNotExist:     "facet",
	StatusOperationNotExist: "operation",
}

// Oneway sends a request that gets no reply.
func (c *Client) Oneway(ctx context.Context, id Identity, operation string, mode byte, reqCtx map[string]string, params []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.send(ctx, Request{ID: 0, Identity: id, Operation: operation, Mode: mode, Context: reqCtx, Params: params})
}

func (c *Client) forget(id int32) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *Client) send(ctx context.Context, r Request) error {
	var e Encoder
	e.Request(r)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	// A server that stops reading must not hold the caller past its
	// deadline. (A write cut short leaves the stream broken; the read loop
	// then fails with it.)
	dl, _ := ctx.Deadline()
	c.conn.SetWriteDeadline(dl)
	if err := WriteFrame(c.conn, MsgRequest, e.Bytes()); err != nil {
		return fmt.Errorf("ice: sending %s: %w", r.Operation, err)
	}
	return nil
}

// Done is closed when the connection has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close sends CloseConnection and closes the connection; calls waiting
// fail with ErrClosed.
func (c *Client) Close() error {
	c.writeMu.Lock()
	werr := WriteFrame(c.conn, MsgCloseConnection, nil)
	c.writeMu.Unlock()
	cerr := c.conn.Close()
	<-c.done
	if werr != nil && !errors.Is(werr, net.ErrClosed) {
		return fmt.Errorf("ice: closing: %w", werr)
	}
	if cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		return fmt.Errorf("ice: closing: %w", cerr)
	}
	return nil
}
