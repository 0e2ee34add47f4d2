package services_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing/fstest"

	"github.com/keepstar/keepstar/internal/services"
)

// fakeService is a connector type for the admin pages' tests: a service in
// memory whose groups, setup problems and failures the test sets, and
// which records what the pages asked it.
type fakeService struct {
	mu        sync.Mutex
	groups    []string
	groupsErr error
	problems  []services.Problem
	// managed are the groups the last Check was given; opened the
	// settings the connector was last built with.
	managed []string
	opened  map[string]string
}

// fakeLocales are the type's messages, in English only (the others fall
// back to it).
var fakeLocales = fstest.MapFS{"locales/en.toml": &fstest.MapFile{Data: []byte(`
[fake.label]
description = "test"
other = "Fake voice"

[fake.help]
description = "test"
other = "A voice server kept in memory."

[fake.setting.server]
description = "test"
other = "Server address"

[fake.setting.server_help]
description = "test"
other = "Where the server listens."

[fake.setting.token]
description = "test"
other = "Admin token"

[fake.setting.verbose]
description = "test"
other = "Verbose logging"

[fake.problem]
description = "test"
other = "The bot cannot manage {{.Role}}."

[fake.link]
description = "test"
other = "Open the server console"
`)}}

// errDown is the failure of a server whose address is "down".
var errDown = errors.New("fake: connection refused")

// Type gives the connector type (a services.TypeConstructor).
func (f *fakeService) Type() services.Type {
	return services.Type{
		Name: "fake", Label: "fake.label", Help: "fake.help",
		Capabilities: services.Capabilities{Password: true, Groups: true, Nickname: true},
		Settings: []services.Setting{
			{Key: "server", Label: "fake.setting.server", Help: "fake.setting.server_help", Required: true},
			{Key: "token", Label: "fake.setting.token", Secret: true, Required: true},
			{Key: "verbose", Label: "fake.setting.verbose", Bool: true},
		},
		DefaultNameFormat: "[{corp_ticker}] {character_name}",
		Open: func(ctx context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
			if inst.Settings["server"] == "down" {
				return nil, errDown
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			f.opened = inst.Settings
			return &fakeConnector{f: f}, nil
		},
		Locales: fakeLocales,
	}
}

// lastManaged gives the groups the last Check was given.
func (f *fakeService) lastManaged() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.managed)
}

func (f *fakeService) set(groups []string, groupsErr error, problems ...services.Problem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups, f.groupsErr, f.problems = groups, groupsErr, problems
}

// fakeConnector is the live connector of a fake instance.
type fakeConnector struct{ f *fakeService }

var (
	_ services.Connector       = (*fakeConnector)(nil)
	_ services.PasswordManager = (*fakeConnector)(nil)
	_ services.Checker         = (*fakeConnector)(nil)
	_ services.GroupLister     = (*fakeConnector)(nil)
	_ services.AdminLinker     = (*fakeConnector)(nil)
)

func (c *fakeConnector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	return acct, nil
}

func (c *fakeConnector) Remove(ctx context.Context, acct services.Account) error { return nil }

func (c *fakeConnector) Create(ctx context.Context, want services.Want, password string) (services.Account, error) {
	return services.Account{ExternalID: want.Name, ExternalName: want.Name}, nil
}

func (c *fakeConnector) SetPassword(ctx context.Context, acct services.Account, password string) error {
	return nil
}

func (c *fakeConnector) Check(ctx context.Context, managed []string) ([]services.Problem, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.managed = slices.Clone(managed)
	return slices.Clone(c.f.problems), nil
}

func (c *fakeConnector) Groups(ctx context.Context) ([]string, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	return slices.Clone(c.f.groups), c.f.groupsErr
}

func (c *fakeConnector) AdminLinks() []services.AdminLink {
	return []services.AdminLink{{Label: "fake.link", URL: "https://fake.example/console"}}
}
