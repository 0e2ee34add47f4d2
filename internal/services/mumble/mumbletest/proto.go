package mumbletest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MessageType is a control message's type, the order of Mumble's
// Mumble.proto messages.
type MessageType uint16

// The control message types the client uses.
const (
	MsgVersion          MessageType = 0
	MsgUDPTunnel        MessageType = 1
	MsgAuthenticate     MessageType = 2
	MsgPing             MessageType = 3
	MsgReject           MessageType = 4
	MsgServerSync       MessageType = 5
	MsgChannelRemove    MessageType = 6
	MsgChannelState     MessageType = 7
	MsgUserRemove       MessageType = 8
	MsgUserState        MessageType = 9
	MsgTextMessage      MessageType = 11
	MsgPermissionDenied MessageType = 12
)

// maxMessage bounds a control message's body, as Mumble's own client does
// (8 MiB less one), before anything is allocated for it.
const maxMessage = 0x7fffff

// ErrMalformed is wrapped by every error about bytes from the server that
// break the control protocol.
var ErrMalformed = errors.New("mumbletest: malformed message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// writeMessage writes one framed control message: type and body length
// (big-endian, 2 and 4 bytes), then the protobuf body.
func writeMessage(w io.Writer, t MessageType, body []byte) error {
	b := make([]byte, 6, 6+len(body))
	binary.BigEndian.PutUint16(b, uint16(t))
	binary.BigEndian.PutUint32(b[2:], uint32(len(body)))
	_, err := w.Write(append(b, body...))
	return err
}

// readMessage reads one framed control message.
func readMessage(r io.Reader) (MessageType, []byte, error) {
	var h [6]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[2:])
	if n > maxMessage {
		return 0, nil, malformed("message of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, fmt.Errorf("message body: %w", err)
	}
	return MessageType(binary.BigEndian.Uint16(h[:])), body, nil
}

// Protobuf wire types.
const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
)

// pbWriter appends protobuf fields.
type pbWriter struct{ b []byte }

func (w *pbWriter) tag(field, wire int) {
	w.b = binary.AppendUvarint(w.b, uint64(field)<<3|uint64(wire))
}

func (w *pbWriter) uint(field int, v uint64) {
	w.tag(field, wireVarint)
	w.b = binary.AppendUvarint(w.b, v)
}

func (w *pbWriter) bool(field int, v bool) {
	var x uint64
	if v {
		x = 1
	}
	w.uint(field, x)
}

func (w *pbWriter) bytes(field int, v []byte) {
	w.tag(field, wireBytes)
	w.b = binary.AppendUvarint(w.b, uint64(len(v)))
	w.b = append(w.b, v...)
}

func (w *pbWriter) string(field int, v string) { w.bytes(field, []byte(v)) }

// pbField is one decoded field: its number and wire type, with the value
// as a number (varint, fixed) or bytes (length-delimited).
type pbField struct {
	num   int
	wire  int
	num64 uint64
	bytes []byte
}

// parseFields reads a protobuf message's fields in order. Groups (wire
// types 3 and 4, which Mumble never uses) and anything truncated are
// errors.
func parseFields(b []byte) ([]pbField, error) {
	var out []pbField
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, malformed("bad field key")
		}
		b = b[n:]
		f := pbField{num: int(key >> 3), wire: int(key & 7)}
		if key>>3 == 0 || key>>3 > math.MaxInt32 {
			return nil, malformed("field number %d", key>>3)
		}
		switch f.wire {
		case wireVarint:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, malformed("bad varint in field %d", f.num)
			}
			f.num64, b = v, b[n:]
		case wire64:
			if len(b) < 8 {
				return nil, malformed("short fixed64 in field %d", f.num)
			}
			f.num64, b = binary.LittleEndian.Uint64(b), b[8:]
		case wire32:
			if len(b) < 4 {
				return nil, malformed("short fixed32 in field %d", f.num)
			}
			f.num64, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return nil, malformed("bad length in field %d", f.num)
			}
			f.bytes, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return nil, malformed("wire type %d in field %d", f.wire, f.num)
		}
		out = append(out, f)
	}
	return out, nil
}

// want checks a field has the wire type its declaration gives.
func (f pbField) want(wire int) error {
	if f.wire != wire {
		return malformed("field %d has wire type %d, want %d", f.num, f.wire, wire)
	}
	return nil
}

func (f pbField) uint32() (uint32, error) {
	if err := f.want(wireVarint); err != nil {
		return 0, err
	}
	// A uint32 written as a varint fits 32 bits; protobuf readers
	// truncate larger values, and so does this one.
	return uint32(f.num64), nil
}

func (f pbField) boolean() (bool, error) {
	if err := f.want(wireVarint); err != nil {
		return false, err
	}
	return f.num64 != 0, nil
}

func (f pbField) str() (string, error) {
	if err := f.want(wireBytes); err != nil {
		return "", err
	}
	return string(f.bytes), nil
}

// RejectType is why the server refused a login (Mumble.proto's
// Reject.RejectType).
type RejectType int

// The reject types of Mumble.proto.
const (
	RejectNone              RejectType = 0
	RejectWrongVersion      RejectType = 1
	RejectInvalidUsername   RejectType = 2
	RejectWrongUserPW       RejectType = 3
	RejectWrongServerPW     RejectType = 4
	RejectUsernameInUse     RejectType = 5
	RejectServerFull        RejectType = 6
	RejectNoCertificate     RejectType = 7
	RejectAuthenticatorFail RejectType = 8
)

var rejectNames = []string{"None", "WrongVersion", "InvalidUsername", "WrongUserPW", "WrongServerPW",
	"UsernameInUse", "ServerFull", "NoCertificate", "AuthenticatorFail"}

func (t RejectType) String() string {
	if t >= 0 && int(t) < len(rejectNames) {
		return rejectNames[t]
	}
	return fmt.Sprintf("RejectType(%d)", int(t))
}

// RejectError is the server's refusal of a login.
type RejectError struct {
	Type   RejectType
	Reason string
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("mumble: login rejected: %s: %s", e.Type, e.Reason)
}

func decodeReject(b []byte) (*RejectError, error) {
	fields, err := parseFields(b)
	if err != nil {
		return nil, err
	}
	r := &RejectError{}
	for _, f := range fields {
		switch f.num {
		case 1:
			v, err := f.uint32()
			if err != nil {
				return nil, err
			}
			r.Type = RejectType(int32(v))
		case 2:
			if r.Reason, err = f.str(); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// serverSync is the ServerSync message's fields the client keeps.
type serverSync struct {
	session uint32
	welcome string
}

func decodeServerSync(b []byte) (serverSync, error) {
	fields, err := parseFields(b)
	if err != nil {
		return serverSync{}, err
	}
	var s serverSync
	hasSession := false
	for _, f := range fields {
		switch f.num {
		case 1:
			if s.session, err = f.uint32(); err != nil {
				return serverSync{}, err
			}
			hasSession = true
		case 3:
			if s.welcome, err = f.str(); err != nil {
				return serverSync{}, err
			}
		}
	}
	if !hasSession {
		return serverSync{}, malformed("ServerSync without a session")
	}
	return s, nil
}

// UserRemove is a UserRemove message: the session left, or was kicked or
// banned by Actor (when HasActor) with Reason.
type UserRemove struct {
	Session  int
	Actor    int
	HasActor bool
	Reason   string
	Ban      bool
}

func decodeUserRemove(b []byte) (UserRemove, error) {
	fields, err := parseFields(b)
	if err != nil {
		return UserRemove{}, err
	}
	var r UserRemove
	hasSession := false
	for _, f := range fields {
		var v uint32
		switch f.num {
		case 1:
			v, err = f.uint32()
			r.Session, hasSession = int(v), true
		case 2:
			v, err = f.uint32()
			r.Actor, r.HasActor = int(v), true
		case 3:
			r.Reason, err = f.str()
		case 4:
			r.Ban, err = f.boolean()
		}
		if err != nil {
			return UserRemove{}, err
		}
	}
	if !hasSession {
		return UserRemove{}, malformed("UserRemove without a session")
	}
	return r, nil
}

// UserState is what the client knows of a user: the fields of the UserState
// messages about its session, merged (each message carries only what
// changed).
type UserState struct {
	Session   int
	Name      string
	UserID    int // -1 when not registered (no user_id seen)
	ChannelID int
	Mute      bool
	Deaf      bool
	Suppress  bool
	SelfMute  bool
	SelfDeaf  bool
	Comment   string
	Hash      string // the client certificate's hash
	// CommentHash is the SHA-1 of a long comment, which murmurd sends
	// instead of the comment itself (as raw bytes).
	CommentHash string
	Priority    bool // priority speaker
	Recording   bool
}

// userStateUpdate is one UserState message: its session and the fields it
// sets.
type userStateUpdate struct {
	session uint32
	fields  []pbField
}

// decodeUserState parses a UserState message and checks every field the
// client keeps has its declared wire type, so applying it cannot fail.
func decodeUserState(b []byte) (userStateUpdate, error) {
	fields, err := parseFields(b)
	if err != nil {
		return userStateUpdate{}, err
	}
	u := userStateUpdate{}
	hasSession := false
	var kept []pbField
	for _, f := range fields {
		switch f.num {
		case 1:
			if u.session, err = f.uint32(); err != nil {
				return userStateUpdate{}, err
			}
			hasSession = true
		case 4, 5, 6, 7, 8, 9, 10, 18, 19:
			if err := f.want(wireVarint); err != nil {
				return userStateUpdate{}, err
			}
			kept = append(kept, f)
		case 3, 14, 15, 16:
			if err := f.want(wireBytes); err != nil {
				return userStateUpdate{}, err
			}
			kept = append(kept, f)
		}
	}
	if !hasSession {
		// The server always names the session it describes.
		return userStateUpdate{}, malformed("UserState without a session")
	}
	u.fields = kept
	return u, nil
}

// apply merges an update into s.
func (u userStateUpdate) apply(s *UserState) {
	s.Session = int(u.session)
	for _, f := range u.fields {
		switch f.num {
		case 3:
			s.Name = string(f.bytes)
		case 4:
			s.UserID = int(uint32(f.num64))
		case 5:
			s.ChannelID = int(uint32(f.num64))
		case 6:
			s.Mute = f.num64 != 0
		case 7:
			s.Deaf = f.num64 != 0
		case 8:
			s.Suppress = f.num64 != 0
		case 9:
			s.SelfMute = f.num64 != 0
		case 10:
			s.SelfDeaf = f.num64 != 0
		case 14:
			s.Comment = string(f.bytes)
		case 15:
			s.Hash = string(f.bytes)
		case 16:
			s.CommentHash = string(f.bytes)
		case 18:
			s.Priority = f.num64 != 0
		case 19:
			s.Recording = f.num64 != 0
		}
	}
}

// PermissionDenied is a PermissionDenied message: the server refused
// something the client asked (entering a channel, a comment too long…).
// Type is Mumble.proto's DenyType (1 Permission, 4 TextTooLong…).
type PermissionDenied struct {
	Type       int
	Permission uint32
	ChannelID  int
	Session    int
	Reason     string
}

func decodePermissionDenied(b []byte) (PermissionDenied, error) {
	fields, err := parseFields(b)
	if err != nil {
		return PermissionDenied{}, err
	}
	var p PermissionDenied
	for _, f := range fields {
		var v uint32
		switch f.num {
		case 1:
			p.Permission, err = f.uint32()
		case 2:
			v, err = f.uint32()
			p.ChannelID = int(v)
		case 3:
			v, err = f.uint32()
			p.Session = int(v)
		case 4:
			p.Reason, err = f.str()
		case 5:
			v, err = f.uint32()
			p.Type = int(int32(v))
		}
		if err != nil {
			return PermissionDenied{}, err
		}
	}
	return p, nil
}
