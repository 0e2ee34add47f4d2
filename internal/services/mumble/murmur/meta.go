package murmur

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// metaIdentity is the Meta object's identity on murmurd's Ice endpoint.
var metaIdentity = ice.Identity{Name: "Meta"}

// Meta is a connection to murmurd's Ice endpoint and its Meta object, the
// entry to its virtual servers. Its methods may be called from many
// goroutines at once.
type Meta struct {
	c       *ice.Client
	module  Module
	version Version // at Dial, which fixes the struct layouts
	layout  layout
	reqCtx  map[string]string
}

// Dial connects to murmurd's Ice endpoint (host:port, e.g.
// "127.0.0.1:6502"). secret is murmurd's icesecretwrite, sent as the
// context "secret" on every call ("" sends none). module "" detects the
// module with ice_isA on the Meta object, ::Murmur::Meta first; a module
// given is checked the same way, so a wrong setting fails here rather than
// as "operation does not exist" later. Dial also reads the version, which
// fixes how the structs murmurd sends are laid out.
func Dial(ctx context.Context, addr, secret string, module Module) (*Meta, error) {
	if module != "" && !module.valid() {
		return nil, fmt.Errorf("murmur: unknown module %q", module)
	}
	c, err := ice.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	m := &Meta{c: c}
	if secret != "" {
		m.reqCtx = map[string]string{"secret": secret}
	}
	if err := m.init(ctx, module); err != nil {
		c.Close()
		return nil, err
	}
	return m, nil
}

func (m *Meta) init(ctx context.Context, module Module) error {
	candidates := []Module{ModuleMurmur, ModuleMumbleServer}
	if module != "" {
		candidates = []Module{module}
	}
	for _, mod := range candidates {
		ok, err := m.isA(ctx, metaIdentity, mod.typeID("Meta"))
		if err != nil {
			return err
		}
		if ok {
			m.module = mod
			break
		}
	}
	if m.module == "" {
		if module != "" {
			return fmt.Errorf("murmur: the Ice endpoint's Meta is not %s: %w", module.typeID("Meta"), ErrModuleUnsupported)
		}
		return ErrModuleUnsupported
	}
	v, err := m.Version(ctx)
	if err != nil {
		return err
	}
	m.version, m.layout = v, layoutFor(m.module, v)
	return nil
}

// isA asks an object whether it implements typeID (sent nonmutating, as
// Ice's own clients send ice_isA).
func (m *Meta) isA(ctx context.Context, id ice.Identity, typeID string) (bool, error) {
	var p ice.Encoder
	p.String(typeID)
	d, err := m.call(ctx, id, "ice_isA", ice.ModeNonmutating, p.Bytes())
	if err != nil {
		return false, err
	}
	ok, err := d.Bool()
	if err != nil {
		return false, fmt.Errorf("murmur: ice_isA result: %w", err)
	}
	return ok, d.Finish()
}

// call makes one call with the secret and returns a decoder on its results.
// A user exception becomes its sentinel error; a missing object (a virtual
// server that does not exist) becomes ErrServerNotFound.
func (m *Meta) call(ctx context.Context, id ice.Identity, op string, mode byte, params []byte) (*ice.Decoder, error) {
	out, err := m.callRaw(ctx, id, op, mode, params)
	if err != nil {
		return nil, err
	}
	return ice.NewDecoder(out), nil
}

// callRaw is call returning the encoded results.
func (m *Meta) callRaw(ctx context.Context, id ice.Identity, op string, mode byte, params []byte) ([]byte, error) {
	status, out, err := m.c.Call(ctx, id, op, mode, m.reqCtx, params)
	switch {
	case status == ice.StatusObjectNotExist && id != metaIdentity:
		return nil, fmt.Errorf("murmur: %s on %s: %w", op, id, ErrServerNotFound)
	case err != nil:
		return nil, fmt.Errorf("murmur: %s: %w", op, err)
	case status == ice.StatusUserException:
		return nil, fmt.Errorf("murmur: %s on %s: %w", op, id, decodeException(m.module, out))
	}
	return out, nil
}

// callNoResult makes a call whose operation returns nothing.
func (m *Meta) callNoResult(ctx context.Context, id ice.Identity, op string, mode byte, params []byte) error {
	d, err := m.call(ctx, id, op, mode, params)
	if err != nil {
		return err
	}
	return finish(op, d)
}

func finish(op string, d *ice.Decoder) error {
	if err := d.Finish(); err != nil {
		return fmt.Errorf("murmur: %s result: %w", op, err)
	}
	return nil
}

// Module returns the module murmurd speaks.
func (m *Meta) Module() Module { return m.module }

// Version calls getVersion.
func (m *Meta) Version(ctx context.Context) (Version, error) {
	d, err := m.call(ctx, metaIdentity, "getVersion", ice.ModeIdempotent, nil)
	if err != nil {
		return Version{}, err
	}
	v, err := decodeVersion(d)
	if err != nil {
		return Version{}, fmt.Errorf("murmur: getVersion result: %w", err)
	}
	return v, nil
}

func decodeVersion(d *ice.Decoder) (Version, error) {
	r := &fieldReader{d: d}
	v := Version{Major: r.int(), Minor: r.int(), Patch: r.int(), Text: r.string()}
	if r.err != nil {
		return Version{}, r.err
	}
	return v, d.Finish()
}

// Server calls getServer for the virtual server id: ErrServerNotFound when
// murmurd has none of that id. The server may be stopped (IsRunning says).
func (m *Meta) Server(ctx context.Context, id int) (*Server, error) {
	var p ice.Encoder
	p.Int(int32(id))
	d, err := m.call(ctx, metaIdentity, "getServer", ice.ModeIdempotent, p.Bytes())
	if err != nil {
		return nil, err
	}
	prx, err := d.Proxy()
	if err == nil {
		err = d.Finish()
	}
	if err != nil {
		return nil, fmt.Errorf("murmur: getServer result: %w", err)
	}
	if prx.Identity.Name == "" {
		return nil, fmt.Errorf("murmur: server %d: %w", id, ErrServerNotFound)
	}
	// The proxy names murmurd's own endpoint; calls go over this
	// connection to its identity (s/<id>) instead, which is the same
	// object and needs no second connection.
	return &Server{ID: id, meta: m, identity: prx.Identity}, nil
}

// BootedServers calls getBootedServers: the virtual servers running now,
// by id.
func (m *Meta) BootedServers(ctx context.Context) ([]*Server, error) {
	out, err := m.callRaw(ctx, metaIdentity, "getBootedServers", ice.ModeIdempotent, nil)
	if err != nil {
		return nil, err
	}
	ids, err := decodeServerList(out)
	if err != nil {
		return nil, fmt.Errorf("murmur: getBootedServers result: %w", err)
	}
	servers := make([]*Server, 0, len(ids))
	for _, id := range ids {
		servers = append(servers, &Server{ID: id.id, meta: m, identity: id.identity})
	}
	return servers, nil
}

type serverRef struct {
	id       int
	identity ice.Identity
}

// decodeServerList reads a ServerList: proxies to s/<id>, never null.
func decodeServerList(b []byte) ([]serverRef, error) {
	d := ice.NewDecoder(b)
	n, err := d.Size()
	if err != nil {
		return nil, err
	}
	refs := make([]serverRef, 0, n)
	for range n {
		p, err := d.Proxy()
		if err != nil {
			return nil, err
		}
		id, err := serverID(p.Identity)
		if err != nil {
			return nil, err
		}
		refs = append(refs, serverRef{id: id, identity: p.Identity})
	}
	return refs, d.Finish()
}

// serverID reads the id of a virtual server from its identity, s/<id>.
func serverID(id ice.Identity) (int, error) {
	n, err := strconv.ParseInt(id.Name, 10, 32)
	if id.Category != "s" || err != nil || strconv.FormatInt(n, 10) != id.Name {
		return 0, fmt.Errorf("%w: %q is not a virtual server's identity", ice.ErrMalformed, id)
	}
	return int(n), nil
}

// AuthenticatorProxy returns the proxy to pass to SetAuthenticator for a
// Servant listening on host:port, which must be reachable from murmurd
// (loopback when both run on one machine). The identity is Keepstar's
// name for it: a Servant answers whatever identity it is called by.
func AuthenticatorProxy(host string, port int) ice.Proxy {
	return ice.Proxy{
		Identity:  ice.Identity{Name: "keepstar-authenticator"},
		Endpoints: []ice.TCPEndpoint{{Host: host, Port: int32(port), Timeout: -1}},
	}
}

// Done is closed when the connection to murmurd has ended (murmurd stopped
// or restarted, or Close); Err then says why.
func (m *Meta) Done() <-chan struct{} { return m.c.Done() }

// Err returns why the connection ended, nil while it is open.
func (m *Meta) Err() error { return m.c.Err() }

// Close ends the connection.
func (m *Meta) Close() error {
	if err := m.c.Close(); err != nil && !errors.Is(err, ice.ErrClosed) {
		return err
	}
	return nil
}
