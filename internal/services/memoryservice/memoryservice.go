// Package memoryservice is a service that lives in memory, for the tests
// of the services framework and of the pages built on it: a connector
// type whose accounts have a name, groups and a password, which records
// every call, and which can be taken down, have an account deleted or a
// group added by hand, as a real service can. It is the in-memory fake
// the framework's reference allows for logic that is Keepstar's own
// (../shared/reference/services/framework.md); every real connector is
// tested against its real server or a protocol-faithful fake.
package memoryservice

import (
	"context"
	"embed"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/keepstar/keepstar/internal/services"
)

// Locales are the type's messages.
//
//go:embed locales/*.toml
var Locales embed.FS

// TypeName is the type's name in instances.
const TypeName = "memory"

// Account is an account on the service.
type Account struct {
	ID       string
	Name     string
	Groups   []string
	Password string
}

// Call is one call a connector made.
type Call struct {
	Op      string // create, apply, remove, password, observe, ping
	Account string
}

// Server is the service's state, shared by the connectors of every
// instance of the type.
type Server struct {
	mu       sync.Mutex
	accounts map[string]*Account
	calls    []Call
	down     bool
	next     int
	// pings are the messages each account received (Ping), by id.
	pings map[string][]string
}

// New makes an empty service.
func New() *Server { return &Server{accounts: map[string]*Account{}, pings: map[string][]string{}} }

// ErrDown is the service's answer while it is down.
var ErrDown = fmt.Errorf("memory service is down: %w", services.ErrUnavailable)

// SetDown takes the service down or brings it back.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Calls gives the calls made, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Account gives an account by id.
func (s *Server) Account(id string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, false
	}
	c := *a
	c.Groups = slices.Clone(a.Groups)
	return c, true
}

// Delete removes an account by hand, as an admin of the service would.
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, id)
}

// AddGroup gives an account a group by hand.
func (s *Server) AddGroup(id, group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[id]; ok && !slices.Contains(a.Groups, group) {
		a.Groups = append(a.Groups, group)
		slices.Sort(a.Groups)
	}
}

// Type is the connector type over this service: accounts with a
// password Keepstar sets, groups, names, read back in bulk.
func (s *Server) Type() services.Type {
	return services.Type{
		Name:              TypeName,
		Label:             "memoryservice.type",
		Help:              "memoryservice.type_help",
		Capabilities:      services.Capabilities{Password: true, Groups: true, Nickname: true, Bulk: true},
		DefaultNameFormat: "[{corp_ticker}] {character_name}",
		Settings:          []services.Setting{{Key: "token", Label: "memoryservice.setting.token", Secret: true}},
		Open: func(context.Context, services.Instance, services.Env) (services.Connector, error) {
			return connector{s: s}, nil
		},
		Locales: Locales,
	}
}

type connector struct{ s *Server }

var (
	_ services.PasswordManager = connector{}
	_ services.Observer        = connector{}
	_ services.GroupLister     = connector{}
)

// call records a call and refuses it while the service is down; the
// caller holds the lock.
func (c connector) call(op, id string) error {
	c.s.calls = append(c.s.calls, Call{Op: op, Account: id})
	if c.s.down {
		return ErrDown
	}
	return nil
}

func (c connector) Create(_ context.Context, want services.Want, password string) (services.Account, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if err := c.call("create", ""); err != nil {
		return services.Account{}, err
	}
	c.s.next++
	id := strconv.Itoa(c.s.next)
	c.s.accounts[id] = &Account{ID: id, Name: want.Name, Groups: slices.Clone(want.Groups), Password: password}
	return services.Account{ExternalID: id, ExternalName: want.Name}, nil
}

func (c connector) Apply(_ context.Context, acct services.Account, want services.Want) (services.Account, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if err := c.call("apply", acct.ExternalID); err != nil {
		return acct, err
	}
	a, ok := c.s.accounts[acct.ExternalID]
	if !ok {
		return acct, services.ErrGone
	}
	// Groups Keepstar leaves alone stay; the rest become the Want's.
	groups := slices.DeleteFunc(slices.Clone(a.Groups), func(g string) bool { return !want.Keep(g) })
	groups = append(groups, want.Groups...)
	slices.Sort(groups)
	a.Name, a.Groups = want.Name, slices.Compact(groups)
	acct.ExternalName = a.Name
	return acct, nil
}

func (c connector) Remove(_ context.Context, acct services.Account) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if err := c.call("remove", acct.ExternalID); err != nil {
		return err
	}
	delete(c.s.accounts, acct.ExternalID)
	return nil
}

func (c connector) SetPassword(_ context.Context, acct services.Account, password string) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if err := c.call("password", acct.ExternalID); err != nil {
		return err
	}
	a, ok := c.s.accounts[acct.ExternalID]
	if !ok {
		return services.ErrGone
	}
	a.Password = password
	return nil
}

func (c connector) Observe(_ context.Context, accts []services.Account) ([]services.Observation, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if err := c.call("observe", ""); err != nil {
		return nil, err
	}
	out := make([]services.Observation, len(accts))
	for i, acct := range accts {
		a, ok := c.s.accounts[acct.ExternalID]
		if !ok {
			out[i].Gone = true
			continue
		}
		out[i] = services.Observation{Name: a.Name, Groups: slices.Clone(a.Groups)}
	}
	return out, nil
}

func (c connector) Groups(context.Context) ([]string, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.s.down {
		return nil, ErrDown
	}
	var out []string
	for _, a := range c.s.accounts {
		out = append(out, a.Groups...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Ping sends a message to accounts, as an XMPP server's broadcast does
// (the group pings' Pinger): each account that exists receives it once;
// those deleted on the service are not reached. While the service is down
// nothing is delivered.
func (c connector) Ping(_ context.Context, to []services.Account, message string) (int, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if err := c.call("ping", ""); err != nil {
		return 0, err
	}
	delivered := 0
	for _, acct := range to {
		if _, ok := c.s.accounts[acct.ExternalID]; !ok {
			continue
		}
		c.s.pings[acct.ExternalID] = append(c.s.pings[acct.ExternalID], message)
		delivered++
	}
	return delivered, nil
}

// Pings gives the messages an account received, in order.
func (s *Server) Pings(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pings[id])
}
