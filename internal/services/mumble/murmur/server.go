package murmur

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// Server is one of murmurd's virtual servers, reached over its Meta's
// connection.
type Server struct {
	ID       int
	meta     *Meta
	identity ice.Identity
}

func (s *Server) call(ctx context.Context, op string, mode byte, params []byte) (*ice.Decoder, error) {
	return s.meta.call(ctx, s.identity, op, mode, params)
}

func (s *Server) callNoResult(ctx context.Context, op string, mode byte, params []byte) error {
	return s.meta.callNoResult(ctx, s.identity, op, mode, params)
}

func (s *Server) callInt(ctx context.Context, op string, mode byte, params []byte) (int, error) {
	d, err := s.call(ctx, op, mode, params)
	if err != nil {
		return 0, err
	}
	v, err := d.Int()
	if err == nil {
		err = d.Finish()
	}
	if err != nil {
		return 0, fmt.Errorf("murmur: %s result: %w", op, err)
	}
	return int(v), nil
}

func (s *Server) callBool(ctx context.Context, op string, mode byte, params []byte) (bool, error) {
	d, err := s.call(ctx, op, mode, params)
	if err != nil {
		return false, err
	}
	v, err := d.Bool()
	if err == nil {
		err = d.Finish()
	}
	if err != nil {
		return false, fmt.Errorf("murmur: %s result: %w", op, err)
	}
	return v, nil
}

// IsRunning calls isRunning.
func (s *Server) IsRunning(ctx context.Context) (bool, error) {
	return s.callBool(ctx, "isRunning", ice.ModeIdempotent, nil)
}

// SetAuthenticator calls setAuthenticator: murmurd then asks auth for every
// login (after checking with ice_isA that it is a ServerAuthenticator, and
// whether it is an updating one). A null proxy (zero Proxy) removes it.
// murmurd forgets the authenticator when it restarts, and drops one that
// fails to answer, so callers register again periodically.
func (s *Server) SetAuthenticator(ctx context.Context, auth ice.Proxy) error {
	var p ice.Encoder
	p.Proxy(auth)
	return s.callNoResult(ctx, "setAuthenticator", ice.ModeNormal, p.Bytes())
}

// SetConf calls setConf, which sets a configuration key of the server in
// its database and applies it live, e.g. "forceExternalAuth" = "true".
func (s *Server) SetConf(ctx context.Context, key, value string) error {
	var p ice.Encoder
	p.String(key)
	p.String(value)
	return s.callNoResult(ctx, "setConf", ice.ModeIdempotent, p.Bytes())
}

// GetConf calls getConf: the key's value in the server's database, "" when
// it is not set there (murmurd then uses its ini's default, which getConf
// does not report). The keys "key" and "passphrase" give ErrWriteOnly.
func (s *Server) GetConf(ctx context.Context, key string) (string, error) {
	var p ice.Encoder
	p.String(key)
	d, err := s.call(ctx, "getConf", ice.ModeIdempotent, p.Bytes())
	if err != nil {
		return "", err
	}
	v, err := d.String()
	if err == nil {
		err = d.Finish()
	}
	if err != nil {
		return "", fmt.Errorf("murmur: getConf result: %w", err)
	}
	return v, nil
}

// Users calls getUsers: the connected users, sorted by session.
func (s *Server) Users(ctx context.Context) ([]User, error) {
	out, err := s.meta.callRaw(ctx, s.identity, "getUsers", ice.ModeIdempotent, nil)
	if err != nil {
		return nil, err
	}
	users, err := decodeUserMap(out, s.meta.layout)
	if err != nil {
		return nil, fmt.Errorf("murmur: getUsers result: %w", err)
	}
	return users, nil
}

// Kick calls kickUser: the session is disconnected with reason.
// ErrInvalidSession when there is no such session.
func (s *Server) Kick(ctx context.Context, session int, reason string) error {
	var p ice.Encoder
	p.Int(int32(session))
	p.String(reason)
	return s.callNoResult(ctx, "kickUser", ice.ModeNormal, p.Bytes())
}

func groupParams(channel, session int, group string) []byte {
	var p ice.Encoder
	p.Int(int32(channel))
	p.Int(int32(session))
	p.String(group)
	return p.Bytes()
}

// AddUserToGroup calls addUserToGroup: the session joins the group of the
// channel (0 is the root) until it disconnects, and its permissions are
// computed again at once.
func (s *Server) AddUserToGroup(ctx context.Context, channel, session int, group string) error {
	return s.callNoResult(ctx, "addUserToGroup", ice.ModeIdempotent, groupParams(channel, session, group))
}

// RemoveUserFromGroup calls removeUserFromGroup, the inverse of
// AddUserToGroup; it also removes a group the authenticator gave at login.
func (s *Server) RemoveUserFromGroup(ctx context.Context, channel, session int, group string) error {
	return s.callNoResult(ctx, "removeUserFromGroup", ice.ModeIdempotent, groupParams(channel, session, group))
}

// VerifyPassword calls verifyPassword: the user id name logs in as with
// pw, -1 for a wrong password, -2 for an unknown user. murmurd asks its
// authenticator first, as for a login.
func (s *Server) VerifyPassword(ctx context.Context, name, pw string) (int, error) {
	var p ice.Encoder
	p.String(name)
	p.String(pw)
	return s.callInt(ctx, "verifyPassword", ice.ModeIdempotent, p.Bytes())
}

// HasPermission calls hasPermission: whether the session has perm in the
// channel.
func (s *Server) HasPermission(ctx context.Context, session, channel int, perm Permission) (bool, error) {
	var p ice.Encoder
	p.Int(int32(session))
	p.Int(int32(channel))
	p.Int(int32(perm))
	return s.callBool(ctx, "hasPermission", ice.ModeNormal, p.Bytes())
}

// AddChannel calls addChannel: a new permanent channel under parent,
// returning its id.
func (s *Server) AddChannel(ctx context.Context, name string, parent int) (int, error) {
	var p ice.Encoder
	p.String(name)
	p.Int(int32(parent))
	return s.callInt(ctx, "addChannel", ice.ModeNormal, p.Bytes())
}

// RemoveChannel calls removeChannel.
func (s *Server) RemoveChannel(ctx context.Context, channel int) error {
	var p ice.Encoder
	p.Int(int32(channel))
	return s.callNoResult(ctx, "removeChannel", ice.ModeNormal, p.Bytes())
}

// GetACL calls getACL: the channel's ACL entries and groups (inherited
// ones included, marked Inherited) and whether it inherits its parent's.
func (s *Server) GetACL(ctx context.Context, channel int) ([]ACL, []Group, bool, error) {
	var p ice.Encoder
	p.Int(int32(channel))
	out, err := s.meta.callRaw(ctx, s.identity, "getACL", ice.ModeIdempotent, p.Bytes())
	if err != nil {
		return nil, nil, false, err
	}
	acls, groups, inherit, err := decodeACLResult(out)
	if err != nil {
		return nil, nil, false, fmt.Errorf("murmur: getACL result: %w", err)
	}
	return acls, groups, inherit, nil
}

// SetACL calls setACL, replacing the channel's own ACL entries and groups.
func (s *Server) SetACL(ctx context.Context, channel int, acls []ACL, groups []Group, inherit bool) error {
	return s.callNoResult(ctx, "setACL", ice.ModeIdempotent, setACLParams(channel, acls, groups, inherit))
}

func setACLParams(channel int, acls []ACL, groups []Group, inherit bool) []byte {
	var p ice.Encoder
	p.Int(int32(channel))
	encodeACLs(&p, acls)
	encodeGroups(&p, groups)
	p.Bool(inherit)
	return p.Bytes()
}
