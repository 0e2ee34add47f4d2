package murmur

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// UserInfo holds facts about a registered user, keyed by the slice's
// UserInfo enum (UserName…).
type UserInfo map[int]string

// The UserInfo enum of the slice. Mumble 1.3.4's slice already lists
// UserKDFIterations; with seven enumerators, encoding 1.0 writes them as a
// byte.
const (
	UserName = iota
	UserEmail
	UserComment
	UserHash
	UserPassword
	UserLastActive
	UserKDFIterations

	userInfoCount // the number of enumerators
)

// Results of Authenticate, NameToID and VerifyPassword besides a user id
// (ids are 0 or more).
const (
	AuthRefused     = -1 // wrong password: the login is refused
	AuthUnknown     = -2 // not ours: murmurd tries its own database
	AuthUnavailable = -3 // cannot tell now (the database is down): the login is refused as temporary
)

// Authenticator answers murmurd's questions about logins and users: the
// ServerAuthenticator interface of the slice. murmurd waits for each answer
// with its whole server stopped, so answers must be fast and must not call
// back into murmurd.
type Authenticator interface {
	// Authenticate checks a login: the user's id (0 or more) with the name
	// to show instead ("" keeps name) and the groups to put the session in
	// (on the root channel, until it disconnects), or AuthRefused,
	// AuthUnknown or AuthUnavailable. certHash is the client
	// certificate's SHA-1 hex digest, "" without one; certStrong says
	// whether a trusted CA signed it.
	Authenticate(ctx context.Context, name, pw, certHash string, certStrong bool) (id int, newName string, groups []string)
	// GetInfo returns what is known of the user id, false when id is not
	// the authenticator's.
	GetInfo(ctx context.Context, id int) (UserInfo, bool)
	// NameToID returns the id of the user called name, AuthUnknown (-2)
	// when there is none.
	NameToID(ctx context.Context, name string) int
	// IDToName returns the name of the user id, "" when there is none.
	IDToName(ctx context.Context, id int) string
	// IDToTexture returns the user's avatar image, nil for none (murmurd
	// then uses its own).
	IDToTexture(ctx context.Context, id int) []byte
}

// Servant returns the Ice object that answers murmurd's ServerAuthenticator
// calls for module with a, to be served on a listener and passed to
// Server.SetAuthenticator.
//
// Every ServerAuthenticator operation whose context lacks secret (murmurd's
// icesecretwrite, which it sends with each call) is refused with the
// module's InvalidSecretException, as murmurd's own objects refuse calls;
// the operations every Ice object has (ice_isA, ice_ping, ice_id(s)) say
// only what the object is and answer anyone, as murmurd's do. ice_isA is
// true for ::<module>::ServerAuthenticator and not for the
// ServerUpdatingAuthenticator, so murmurd never sends the updating
// interface's writes (registerUser, setInfo…); they, and any other
// operation, get operation-not-exist. A call in mode normal is refused as
// ZeroC's servants refuse it (the operations are idempotent). An empty
// secret accepts calls that carry none, which is what murmurd sends when
// its icesecretwrite is empty; Keepstar's settings require one.
func Servant(module Module, secret string, a Authenticator, logger *slog.Logger) *ice.Servant {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	as := &authServant{module: module, secret: []byte(secret), a: a, log: logger}
	as.ops = map[string]authOp{
		"authenticate": as.authenticate,
		"getInfo":      as.getInfo,
		"nameToId":     as.nameToID,
		"idToName":     as.idToName,
		"idToTexture":  as.idToTexture,
	}
	return &ice.Servant{
		TypeIDs: []string{module.typeID("ServerAuthenticator")},
		Handle:  as.handle,
		Logger:  logger,
	}
}

type authServant struct {
	module Module
	secret []byte
	a      Authenticator
	log    *slog.Logger
	ops    map[string]authOp // the ServerAuthenticator operations, by name
}

type authOp func(ctx context.Context, params *ice.Decoder) (result []byte, err error)

func (s *authServant) handle(ctx context.Context, req ice.Request) (byte, []byte) {
	op, ok := s.ops[req.Operation]
	if !ok {
		return ice.StatusOperationNotExist, nil
	}
	if req.Mode == ice.ModeNormal {
		// Every ServerAuthenticator operation is idempotent, and Ice
		// refuses a call that says otherwise (nonmutating is accepted
		// for idempotent, as ZeroC's servants do).
		return ice.StatusUnknownLocalException, []byte(req.Operation + ": unexpected operation mode normal")
	}
	if subtle.ConstantTimeCompare([]byte(req.Context["secret"]), s.secret) != 1 {
		s.log.WarnContext(ctx, "mumble authenticator: call without the right Ice secret refused", "operation", req.Operation)
		return ice.StatusUserException, encodeException(s.module, "InvalidSecretException")
	}
	out, err := op(ctx, ice.NewDecoder(req.Params))
	if err != nil {
		// What Ice answers for parameters it cannot unmarshal.
		s.log.WarnContext(ctx, "mumble authenticator: malformed call", "operation", req.Operation, "error", err)
		return ice.StatusUnknownLocalException, []byte(fmt.Sprintf("%s: %v", req.Operation, err))
	}
	return ice.StatusOK, out
}

// authenticateParams are authenticate's parameters.
type authenticateParams struct {
	Name, PW     string
	Certificates [][]byte
	CertHash     string
	CertStrong   bool
}

func decodeAuthenticateParams(d *ice.Decoder) (authenticateParams, error) {
	r := &fieldReader{d: d}
	var p authenticateParams
	p.Name = r.string()
	p.PW = r.string()
	if r.err == nil {
		n, err := d.Size()
		if err != nil {
			return authenticateParams{}, err
		}
		for range n {
			c := r.bytes()
			if r.err != nil {
				break
			}
			p.Certificates = append(p.Certificates, c)
		}
	}
	p.CertHash = r.string()
	p.CertStrong = r.bool()
	if r.err != nil {
		return authenticateParams{}, r.err
	}
	return p, d.Finish()
}

func encodeAuthenticateParams(p authenticateParams) []byte {
	var e ice.Encoder
	e.String(p.Name)
	e.String(p.PW)
	e.Size(len(p.Certificates))
	for _, c := range p.Certificates {
		encodeBytes(&e, c)
	}
	e.String(p.CertHash)
	e.Bool(p.CertStrong)
	return e.Bytes()
}

// idInRange reports whether an id fits the slice's int.
func idInRange(id int) bool { return id >= math.MinInt32 && id <= math.MaxInt32 }

func (s *authServant) authenticate(ctx context.Context, d *ice.Decoder) ([]byte, error) {
	p, err := decodeAuthenticateParams(d)
	if err != nil {
		return nil, err
	}
	id, newName, groups := s.a.Authenticate(ctx, p.Name, p.PW, p.CertHash, p.CertStrong)
	if !idInRange(id) || id < AuthUnavailable {
		s.log.ErrorContext(ctx, "mumble authenticator: id out of range, login refused", "id", id)
		id, newName, groups = AuthRefused, "", nil
	}
	if id < 0 {
		// Only a success carries a name and groups.
		newName, groups = "", nil
	}
	var e ice.Encoder
	e.String(strings.ToValidUTF8(newName, "\uFFFD"))
	e.Size(len(groups))
	for _, g := range groups {
		e.String(strings.ToValidUTF8(g, "\uFFFD"))
	}
	e.Int(int32(id))
	return e.Bytes(), nil
}

func decodeIDParam(d *ice.Decoder) (int, error) {
	id, err := d.Int()
	if err != nil {
		return 0, err
	}
	return int(id), d.Finish()
}

func (s *authServant) getInfo(ctx context.Context, d *ice.Decoder) ([]byte, error) {
	id, err := decodeIDParam(d)
	if err != nil {
		return nil, err
	}
	info, ok := s.a.GetInfo(ctx, id)
	if !ok {
		info = nil
	}
	var e ice.Encoder
	encodeUserInfo(&e, info)
	e.Bool(ok)
	return e.Bytes(), nil
}

// encodeUserInfo writes a UserInfoMap, keys in order; keys that are not
// enumerators of UserInfo are left out (murmurd could not read them).
func encodeUserInfo(e *ice.Encoder, info UserInfo) {
	keys := slices.DeleteFunc(slices.Sorted(maps.Keys(info)), func(k int) bool { return k < 0 || k >= userInfoCount })
	e.Size(len(keys))
	for _, k := range keys {
		e.Byte(byte(k))
		e.String(strings.ToValidUTF8(info[k], "\uFFFD"))
	}
}

// decodeUserInfo reads a UserInfoMap.
func decodeUserInfo(d *ice.Decoder) (UserInfo, error) {
	n, err := d.Size()
	if err != nil {
		return nil, err
	}
	info := make(UserInfo, n)
	for range n {
		k, err := d.Byte()
		if err != nil {
			return nil, err
		}
		if int(k) >= userInfoCount {
			return nil, fmt.Errorf("%w: UserInfo enumerator %d", ice.ErrMalformed, k)
		}
		if _, ok := info[int(k)]; ok {
			return nil, fmt.Errorf("%w: UserInfo key %d repeated", ice.ErrMalformed, k)
		}
		if info[int(k)], err = d.String(); err != nil {
			return nil, err
		}
	}
	return info, nil
}

func (s *authServant) nameToID(ctx context.Context, d *ice.Decoder) ([]byte, error) {
	name, err := d.String()
	if err == nil {
		err = d.Finish()
	}
	if err != nil {
		return nil, err
	}
	id := s.a.NameToID(ctx, name)
	if !idInRange(id) || id < 0 {
		id = AuthUnknown
	}
	var e ice.Encoder
	e.Int(int32(id))
	return e.Bytes(), nil
}

func (s *authServant) idToName(ctx context.Context, d *ice.Decoder) ([]byte, error) {
	id, err := decodeIDParam(d)
	if err != nil {
		return nil, err
	}
	var e ice.Encoder
	e.String(strings.ToValidUTF8(s.a.IDToName(ctx, id), "\uFFFD"))
	return e.Bytes(), nil
}

func (s *authServant) idToTexture(ctx context.Context, d *ice.Decoder) ([]byte, error) {
	id, err := decodeIDParam(d)
	if err != nil {
		return nil, err
	}
	var e ice.Encoder
	encodeBytes(&e, s.a.IDToTexture(ctx, id))
	return e.Bytes(), nil
}
