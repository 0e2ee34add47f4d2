package ice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"
)

// Handler answers a request the servant does not answer itself. For
// StatusOK and StatusUserException the payload is the encoding 1.0 result
// (out-parameters first, return value last) or exception; for the statuses
// 2–4 the payload is ignored (the reply names the request's identity, facet
// and operation); for 5–7 the payload is the message text.
type Handler func(ctx context.Context, req Request) (status byte, payload []byte)

// Servant is an Ice object served on a listener: Murmur's authenticator.
type Servant struct {
	// TypeIDs are the Slice type ids the object implements, most derived
	// first (for example "::Murmur::ServerAuthenticator"); ice_isA,
	// ice_id and ice_ids answer from them, with "::Ice::Object" added.
	TypeIDs []string
	// Handle answers every other operation. It runs on its own goroutine
	// per request, so concurrent requests on a connection are answered in
	// any order.
	Handle Handler
	// Logger, when set, hears of connections that ended in error.
	Logger *slog.Logger
}

const objectTypeID = "::Ice::Object"

// Serve accepts connections on ln and answers requests until ctx ends, then
// closes the listener, sends CloseConnection on each open connection, waits
// for the requests being answered and returns nil. It returns the
// listener's error if accepting fails otherwise.
func (s *Servant) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel below, which ends the connections
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("ice: accepting: %w", err)
		}
		wg.Go(func() {
			sc := &serverConn{s: s, conn: conn}
			if err := sc.serve(ctx); err != nil && s.Logger != nil {
				s.Logger.WarnContext(ctx, "ice connection ended", "remote", conn.RemoteAddr().String(), "error", err)
			}
		})
	}
}

type serverConn struct {
	s       *Servant
	conn    net.Conn
	writeMu sync.Mutex
}

func (sc *serverConn) write(t MessageType, body []byte) error {
	sc.writeMu.Lock()
	defer sc.writeMu.Unlock()
	return WriteFrame(sc.conn, t, body)
}

func (sc *serverConn) serve(ctx context.Context) error {
	var wg sync.WaitGroup
	defer sc.conn.Close()
	defer wg.Wait()
	// When ctx ends, say goodbye and close, which ends the read below.
	stop := context.AfterFunc(ctx, func() {
		// A peer that stops reading gets a second to take the goodbye.
		sc.conn.SetWriteDeadline(time.Now().Add(time.Second))
		sc.write(MsgCloseConnection, nil)
		sc.conn.Close()
	})
	defer stop()

	if err := sc.write(MsgValidateConnection, nil); err != nil {
		return fmt.Errorf("validating: %w", err)
	}
	for {
		t, body, err := ReadFrame(sc.conn)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		switch t {
		case MsgValidateConnection: // a heartbeat
		case MsgCloseConnection:
			return nil
		case MsgRequest:
			req, err := DecodeRequest(body)
			if err != nil {
				return err
			}
			wg.Go(func() { sc.answer(ctx, req) })
		default:
			return malformed("servant received message type %d", t)
		}
	}
}

func (sc *serverConn) answer(ctx context.Context, req Request) {
	status, payload := sc.s.dispatchSafely(ctx, req)
	if req.ID == 0 {
		return
	}
	r := Reply{ID: req.ID, Status: status}
	switch {
	case status <= StatusUserException:
		r.Payload = payload
	case status <= StatusOperationNotExist:
		r.Failed = Failure{Identity: req.Identity, Facet: req.Facet, Operation: req.Operation}
	case status <= StatusUnknownException:
		r.Message = string(payload)
	default:
		r.Status, r.Message = StatusUnknownException, fmt.Sprintf("handler returned reply status %d", status)
	}
	var e Encoder
	e.Reply(r)
	if err := sc.write(MsgReply, e.Bytes()); err != nil {
		// The read loop sees the broken connection too and ends it.
		sc.conn.Close()
	}
}

// dispatchSafely turns a handler's panic into the reply Ice gives for an
// exception it does not know, rather than ending the process on a
// server's call.
func (s *Servant) dispatchSafely(ctx context.Context, req Request) (status byte, payload []byte) {
	defer func() {
		if p := recover(); p != nil {
			if s.Logger != nil {
				s.Logger.ErrorContext(ctx, "ice handler panicked", "operation", req.Operation, "panic", fmt.Sprint(p))
			}
			status, payload = StatusUnknownException, []byte(fmt.Sprintf("%s: %v", req.Operation, p))
		}
	}()
	return s.dispatch(ctx, req)
}

// dispatch answers the operations every Ice object has, and hands the rest
// to the handler; without a handler, they do not exist.
func (s *Servant) dispatch(ctx context.Context, req Request) (byte, []byte) {
	var e Encoder
	switch req.Operation {
	case "ice_ping":
		return StatusOK, nil
	case "ice_isA":
		id, err := NewDecoder(req.Params).String()
		if err != nil {
			return StatusUnknownLocalException, []byte("ice_isA: " + err.Error())
		}
		e.Bool(id == objectTypeID || slices.Contains(s.TypeIDs, id))
		return StatusOK, e.Bytes()
	case "ice_id":
		if len(s.TypeIDs) == 0 {
			e.String(objectTypeID)
		} else {
			e.String(s.TypeIDs[0])
		}
		return StatusOK, e.Bytes()
	case "ice_ids":
		ids := append([]string{objectTypeID}, s.TypeIDs...)
		slices.Sort(ids)
		e.StringSeq(slices.Compact(ids))
		return StatusOK, e.Bytes()
	}
	if s.Handle == nil {
		return StatusOperationNotExist, nil
	}
	return s.Handle(ctx, req)
}
