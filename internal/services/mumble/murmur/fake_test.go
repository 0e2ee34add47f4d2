package murmur

import (
	"context"
	"encoding/hex"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// h decodes hex written with spaces and | separators for reading.
func h(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// str writes a short string as encoding 1.0 does, in hex: its length byte
// and its bytes. (Only for strings under 255 bytes.)
func str(s string) string {
	return hex.EncodeToString([]byte{byte(len(s))}) + hex.EncodeToString([]byte(s))
}

// fakeMurmurd is a peer speaking murmurd's side of Ice for one module: its
// Meta and server "s/1" answer ice_isA for the module's types only, and
// every other operation answers a scripted reply, which a test sets with
// expect; it records each request.
type fakeMurmurd struct {
	addr string

	mu      sync.Mutex
	replies map[string]fakeReply
	got     []ice.Request
}

type fakeReply struct {
	status  byte
	payload []byte
}

func startFake(t *testing.T, module Module) *fakeMurmurd {
	t.Helper()
	f := &fakeMurmurd{replies: map[string]fakeReply{}}
	s := &ice.Servant{
		TypeIDs: []string{module.typeID("Meta"), module.typeID("Server")},
		Handle: func(ctx context.Context, req ice.Request) (byte, []byte) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.got = append(f.got, req)
			r, ok := f.replies[req.Operation]
			if !ok {
				return ice.StatusOperationNotExist, nil
			}
			return r.status, r.payload
		},
	}
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
	f.addr = ln.Addr().String()
	return f
}

func (f *fakeMurmurd) expect(op string, status byte, payload []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[op] = fakeReply{status, payload}
}

// last returns the last request received.
func (f *fakeMurmurd) last(t *testing.T) ice.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.got) == 0 {
		t.Fatal("no request received")
	}
	return f.got[len(f.got)-1]
}
