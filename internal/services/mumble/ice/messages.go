package ice

import (
	"maps"
	"slices"
)

// Identity names an Ice object: Murmur's Meta is {Name: "Meta"}, its
// virtual server 1 is {Name: "1", Category: "s"}.
type Identity struct {
	Name, Category string
}

// String returns the identity as Ice prints it, category/name.
func (id Identity) String() string {
	if id.Category == "" {
		return id.Name
	}
	return id.Category + "/" + id.Name
}

// Operation modes of a request.
const (
	ModeNormal      byte = 0
	ModeNonmutating byte = 1
	ModeIdempotent  byte = 2
)

// Reply statuses.
const (
	StatusOK                    byte = 0
	StatusUserException         byte = 1
	StatusObjectNotExist        byte = 2
	StatusFacetNotExist         byte = 3
	StatusOperationNotExist     byte = 4
	StatusUnknownLocalException byte = 5
	StatusUnknownUserException  byte = 6
	StatusUnknownException      byte = 7
)

// Proxy modes.
const (
	ProxyTwoway byte = 0
)

// TCPEndpoint is a proxy's TCP endpoint (endpoint type 1). Timeout is in
// milliseconds, -1 for none.
type TCPEndpoint struct {
	Host     string
	Port     int32
	Timeout  int32
	Compress bool
}

const endpointTCP int16 = 1

// Proxy is an encoding 1.0 object reference with TCP endpoints. A proxy
// with no endpoints is indirect and names an adapter instead; a proxy with
// an empty identity name is the null proxy, written as the identity alone.
type Proxy struct {
	Identity  Identity
	Facet     string
	Mode      byte
	Secure    bool
	Endpoints []TCPEndpoint
	AdapterID string
}

// Proxy writes a proxy.
func (e *Encoder) Proxy(p Proxy) {
	e.Identity(p.Identity)
	if p.Identity.Name == "" {
		return
	}
	e.facet(p.Facet)
	e.Byte(p.Mode)
	e.Bool(p.Secure)
	e.Size(len(p.Endpoints))
	for _, ep := range p.Endpoints {
		e.Short(endpointTCP)
		var in Encoder
		in.String(ep.Host)
		in.Int(ep.Port)
		in.Int(ep.Timeout)
		in.Bool(ep.Compress)
		e.Encaps(in.Bytes())
	}
	if len(p.Endpoints) == 0 {
		e.String(p.AdapterID)
	}
}

// Proxy reads a proxy. Endpoints of any type but TCP are refused.
func (d *Decoder) Proxy() (Proxy, error) {
	var p Proxy
	var err error
	if p.Identity, err = d.Identity(); err != nil {
		return Proxy{}, err
	}
	if p.Identity.Name == "" {
		if p.Identity.Category != "" {
			return Proxy{}, malformed("null proxy with category %q", p.Identity.Category)
		}
		return p, nil
	}
	if p.Facet, err = d.facet(); err != nil {
		return Proxy{}, err
	}
	if p.Mode, err = d.Byte(); err != nil {
		return Proxy{}, err
	}
	if p.Mode > 4 {
		return Proxy{}, malformed("proxy mode %d", p.Mode)
	}
	if p.Secure, err = d.Bool(); err != nil {
		return Proxy{}, err
	}
	n, err := d.Size()
	if err != nil {
		return Proxy{}, err
	}
	for range n {
		t, err := d.Short()
		if err != nil {
			return Proxy{}, err
		}
		if t != endpointTCP {
			return Proxy{}, malformed("endpoint type %d is not TCP", t)
		}
		body, err := d.Encaps()
		if err != nil {
			return Proxy{}, err
		}
		in := NewDecoder(body)
		var ep TCPEndpoint
		if ep.Host, err = in.String(); err != nil {
			return Proxy{}, err
		}
		if ep.Port, err = in.Int(); err != nil {
			return Proxy{}, err
		}
		if ep.Timeout, err = in.Int(); err != nil {
			return Proxy{}, err
		}
		if ep.Compress, err = in.Bool(); err != nil {
			return Proxy{}, err
		}
		if err := in.Finish(); err != nil {
			return Proxy{}, err
		}
		p.Endpoints = append(p.Endpoints, ep)
	}
	if n == 0 {
		if p.AdapterID, err = d.String(); err != nil {
			return Proxy{}, err
		}
	}
	return p, nil
}

// Request is a request message's body: its header and the parameters'
// encapsulated payload. ID 0 is a oneway request, which gets no reply.
type Request struct {
	ID        int32
	Identity  Identity
	Facet     string
	Operation string
	Mode      byte
	Context   map[string]string
	Params    []byte
}

// Request encodes a request body.
func (e *Encoder) Request(r Request) {
	e.Int(r.ID)
	e.Identity(r.Identity)
	e.facet(r.Facet)
	e.String(r.Operation)
	e.Byte(r.Mode)
	e.StringDict(r.Context)
	e.Encaps(r.Params)
}

// DecodeRequest decodes a whole request body.
func DecodeRequest(b []byte) (Request, error) {
	d := NewDecoder(b)
	var r Request
	var err error
	if r.ID, err = d.Int(); err != nil {
		return Request{}, err
	}
	if r.ID < 0 {
		return Request{}, malformed("request id %d", r.ID)
	}
	if r.Identity, err = d.Identity(); err != nil {
		return Request{}, err
	}
	if r.Facet, err = d.facet(); err != nil {
		return Request{}, err
	}
	if r.Operation, err = d.String(); err != nil {
		return Request{}, err
	}
	if r.Mode, err = d.Byte(); err != nil {
		return Request{}, err
	}
	if r.Mode > ModeIdempotent {
		return Request{}, malformed("operation mode %d", r.Mode)
	}
	if r.Context, err = d.StringDict(); err != nil {
		return Request{}, err
	}
	if r.Params, err = d.Encaps(); err != nil {
		return Request{}, err
	}
	return r, d.Finish()
}

// Reply is a reply message's body. Payload is the encapsulated result for
// StatusOK and StatusUserException; Failed is set for the statuses 2–4
// (object, facet or operation does not exist) and Message for 5–7.
type Reply struct {
	ID      int32
	Status  byte
	Payload []byte
	Failed  Failure
	Message string
}

// Failure is what a reply with status 2, 3 or 4 says was not found.
type Failure struct {
	Identity  Identity
	Facet     string
	Operation string
}

// Reply encodes a reply body.
func (e *Encoder) Reply(r Reply) {
	e.Int(r.ID)
	e.Byte(r.Status)
	switch {
	case r.Status <= StatusUserException:
		e.Encaps(r.Payload)
	case r.Status <= StatusOperationNotExist:
		e.Identity(r.Failed.Identity)
		e.facet(r.Failed.Facet)
		e.String(r.Failed.Operation)
	default:
		e.String(r.Message)
	}
}

// DecodeReply decodes a whole reply body.
func DecodeReply(b []byte) (Reply, error) {
	d := NewDecoder(b)
	var r Reply
	var err error
	if r.ID, err = d.Int(); err != nil {
		return Reply{}, err
	}
	if r.Status, err = d.Byte(); err != nil {
		return Reply{}, err
	}
	switch {
	case r.Status <= StatusUserException:
		r.Payload, err = d.Encaps()
	case r.Status <= StatusOperationNotExist:
		if r.Failed.Identity, err = d.Identity(); err != nil {
			return Reply{}, err
		}
		if r.Failed.Facet, err = d.facet(); err != nil {
			return Reply{}, err
		}
		r.Failed.Operation, err = d.String()
	case r.Status <= StatusUnknownException:
		r.Message, err = d.String()
	default:
		return Reply{}, malformed("reply status %d", r.Status)
	}
	if err != nil {
		return Reply{}, err
	}
	return r, d.Finish()
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
