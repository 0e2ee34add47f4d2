package ice

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
)

const authenticatorID = "::Murmur::ServerAuthenticator"

// serve starts s on a loopback listener and returns its address; the
// servant stops at the test's end and must return nil.
func serve(t *testing.T, s *Servant) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) *Client {
	t.Helper()
	c, err := Dial(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func echoServant() *Servant {
	return &Servant{
		TypeIDs: []string{authenticatorID},
		Handle: func(ctx context.Context, req Request) (byte, []byte) {
			if req.Operation != "echo" {
				return StatusOperationNotExist, nil
			}
			var e Encoder
			e.String(req.Identity.String() + " " + req.Context["secret"])
			return StatusOK, append(e.Bytes(), req.Params...)
		},
	}
}

func TestConcurrentCalls(t *testing.T) {
	c := dial(t, serve(t, echoServant()))
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			var p Encoder
			p.Int(int32(i))
			status, out, err := c.Call(t.Context(), Identity{Name: "1", Category: "s"}, "echo", ModeIdempotent,
				map[string]string{"secret": "w"}, p.Bytes())
			if err != nil || status != StatusOK {
				t.Errorf("call %d: %d, %v", i, status, err)
				return
			}
			d := NewDecoder(out)
			s, _ := d.String()
			n, err := d.Int()
			if err != nil || s != "s/1 w" || n != int32(i) {
				t.Errorf("call %d answered %q %d, %v", i, s, n, err)
			}
		})
	}
	wg.Wait()
}

func TestBuiltInOperations(t *testing.T) {
	c := dial(t, serve(t, echoServant()))
	id := Identity{Name: "authenticator"}
	call := func(op string, params []byte) *Decoder {
		t.Helper()
		status, out, err := c.Call(t.Context(), id, op, ModeNonmutating, nil, params)
		if err != nil || status != StatusOK {
			t.Fatalf("%s: %d, %v", op, status, err)
		}
		return NewDecoder(out)
	}
	if d := call("ice_ping", nil); d.Len() != 0 {
		t.Errorf("ice_ping answered %d bytes", d.Len())
	}
	for typeID, want := range map[string]bool{
		authenticatorID:                         true,
		"::Ice::Object":                         true,
		"::Murmur::ServerUpdatingAuthenticator": false,
	} {
		var p Encoder
		p.String(typeID)
		if got, err := call("ice_isA", p.Bytes()).Bool(); err != nil || got != want {
			t.Errorf("ice_isA(%s) = %v, %v", typeID, got, err)
		}
	}
	if got, err := call("ice_id", nil).String(); err != nil || got != authenticatorID {
		t.Errorf("ice_id = %q, %v", got, err)
	}
	if got, err := call("ice_ids", nil).StringSeq(); err != nil || fmt.Sprint(got) != "[::Ice::Object ::Murmur::ServerAuthenticator]" {
		t.Errorf("ice_ids = %q, %v", got, err)
	}
}

func TestUnknownOperation(t *testing.T) {
	c := dial(t, serve(t, &Servant{}))
	status, _, err := c.Call(t.Context(), Identity{Name: "x"}, "getInfo", ModeNormal, nil, nil)
	if status != StatusOperationNotExist || err == nil {
		t.Fatalf("unknown operation: %d, %v", status, err)
	}
	// The connection stays usable.
	if status, _, err := c.Call(t.Context(), Identity{Name: "x"}, "ice_ping", ModeNonmutating, nil, nil); err != nil || status != StatusOK {
		t.Fatalf("ice_ping after: %d, %v", status, err)
	}
}

// A oneway request is dispatched and answered with nothing: the next frame
// the raw peer reads is the reply to the twoway request sent after it.
func TestOnewayGetsNoReply(t *testing.T) {
	seen := make(chan Request, 1)
	addr := serve(t, &Servant{Handle: func(ctx context.Context, req Request) (byte, []byte) {
		seen <- req
		return StatusOK, nil
	}})
	c := dial(t, addr)
	if err := c.Oneway(t.Context(), Identity{Name: "x"}, "notify", ModeNormal, nil, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if req := <-seen; req.ID != 0 || req.Operation != "notify" {
		t.Fatalf("servant saw %+v", req)
	}

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if typ, _, err := ReadFrame(conn); err != nil || typ != MsgValidateConnection {
		t.Fatalf("first frame %d, %v", typ, err)
	}
	for _, r := range []Request{{ID: 0, Operation: "notify"}, {ID: 5, Operation: "ice_ping"}} {
		r.Identity = Identity{Name: "x"}
		var e Encoder
		e.Request(r)
		if err := WriteFrame(conn, MsgRequest, e.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	<-seen
	typ, body, err := ReadFrame(conn)
	if err != nil || typ != MsgReply {
		t.Fatalf("next frame %d, %v", typ, err)
	}
	if r, err := DecodeReply(body); err != nil || r.ID != 5 || r.Status != StatusOK {
		t.Fatalf("reply %+v, %v", r, err)
	}
}

// fakeServer accepts one connection, sends ValidateConnection and runs
// script on it.
func fakeServer(t *testing.T, script func(conn net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		if WriteFrame(conn, MsgValidateConnection, nil) == nil {
			script(conn)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestServerThatClosesFailsTheWaitingCall(t *testing.T) {
	for name, goodbye := range map[string]func(conn net.Conn){
		"CloseConnection": func(conn net.Conn) { WriteFrame(conn, MsgCloseConnection, nil) },
		"TCP close":       func(conn net.Conn) {},
		"garbage":         func(conn net.Conn) { conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) },
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, fakeServer(t, func(conn net.Conn) {
				if _, _, err := ReadFrame(conn); err == nil {
					goodbye(conn)
				}
			}))
			_, _, err := c.Call(t.Context(), Identity{Name: "Meta"}, "getVersion", ModeIdempotent, nil, nil)
			if err == nil {
				t.Fatal("call succeeded on a closed connection")
			}
			<-c.Done()
			if _, _, err := c.Call(t.Context(), Identity{Name: "Meta"}, "getVersion", ModeIdempotent, nil, nil); err == nil {
				t.Fatal("call after the end succeeded")
			}
		})
	}
}

func TestHeartbeatMidStreamIsIgnored(t *testing.T) {
	c := dial(t, fakeServer(t, func(conn net.Conn) {
		_, body, err := ReadFrame(conn)
		if err != nil {
			return
		}
		req, _ := DecodeRequest(body)
		WriteFrame(conn, MsgValidateConnection, nil)
		var res, e Encoder
		res.Int(1)
		e.Reply(Reply{ID: req.ID, Status: StatusOK, Payload: res.Bytes()})
		WriteFrame(conn, MsgReply, e.Bytes())
		ReadFrame(conn) // until the client closes
	}))
	status, out, err := c.Call(t.Context(), Identity{Name: "Meta"}, "getVersion", ModeIdempotent, nil, nil)
	if err != nil || status != StatusOK || len(out) != 4 {
		t.Fatalf("call: %d, % x, %v", status, out, err)
	}
}

func TestDialRefusesAPeerThatDoesNotValidate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		WriteFrame(conn, MsgReply, []byte{0, 0, 0, 0, 0, 6, 0, 0, 0, 1, 0})
	}()
	if _, err := Dial(t.Context(), ln.Addr().String()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Dial: %v, want ErrMalformed", err)
	}
}

func TestCallStopsWithItsContext(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	c := dial(t, serve(t, &Servant{Handle: func(ctx context.Context, req Request) (byte, []byte) {
		close(entered)
		<-release
		return StatusOK, nil
	}}))
	defer close(release)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-entered; cancel() }()
	if _, _, err := c.Call(ctx, Identity{Name: "x"}, "slow", ModeNormal, nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("call: %v, want context.Canceled", err)
	}
}

func TestServeStopsAndClosesConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- echoServant().Serve(ctx, ln) }()
	c, err := Dial(t.Context(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Call(t.Context(), Identity{Name: "x"}, "ice_ping", ModeNonmutating, nil, nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	<-c.Done()
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("client ended with %v, want ErrClosed", c.Err())
	}
}

func TestHandlerPanicIsAnUnknownException(t *testing.T) {
	c := dial(t, serve(t, &Servant{Handle: func(ctx context.Context, req Request) (byte, []byte) {
		panic("boom")
	}}))
	status, _, err := c.Call(t.Context(), Identity{Name: "x"}, "authenticate", ModeIdempotent, nil, nil)
	if status != StatusUnknownException || err == nil {
		t.Fatalf("call: %d, %v", status, err)
	}
	if status, _, err := c.Call(t.Context(), Identity{Name: "x"}, "ice_ping", ModeNonmutating, nil, nil); err != nil || status != StatusOK {
		t.Fatalf("ice_ping after: %d, %v", status, err)
	}
}

// A peer breaking the protocol loses its connection; the servant goes on
// serving others.
func TestServantDropsAPeerThatBreaksTheProtocol(t *testing.T) {
	addr := serve(t, echoServant())
	for name, frame := range map[string][]byte{
		"bad magic":     []byte("GET / HTTP/1.1\r\n\r\n"),
		"batch request": AppendHeader(nil, MsgBatchRequest, 0),
		"reply":         AppendHeader(nil, MsgReply, 0),
		"bad request":   append(AppendHeader(nil, MsgRequest, 3), 1, 2, 3),
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if typ, _, err := ReadFrame(conn); err != nil || typ != MsgValidateConnection {
			t.Fatalf("%s: first frame %d, %v", name, typ, err)
		}
		conn.Write(frame)
		if _, _, err := ReadFrame(conn); err == nil {
			t.Errorf("%s: the servant answered", name)
		}
		conn.Close()
	}
	c := dial(t, addr)
	if _, _, err := c.Call(t.Context(), Identity{Name: "x"}, "ice_ping", ModeNonmutating, nil, nil); err != nil {
		t.Fatal(err)
	}
}
