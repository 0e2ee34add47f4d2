package demo

import (
	"context"
	"fmt"
	"net"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/teamspeak3"
	"github.com/keepstar/keepstar/internal/store"
)

// DefaultTeamSpeakListen is where the page of the demo's simulated
// TeamSpeak server listens unless taken; its ServerQuery (SSH) listens on
// a free loopback port.
const DefaultTeamSpeakListen = "127.0.0.1:8083"

// TeamSpeakSlug is the demo's TeamSpeak service instance.
const TeamSpeakSlug = "teamspeak"

// TeamSpeakMemberGroup is the server group every member Keepstar lets in
// has on the demo's TeamSpeak.
const TeamSpeakMemberGroup = "Keepstar"

// TeamSpeak is what the demo's TeamSpeak instance is made from: the
// simulated server's ServerQuery over SSH (address, host key fingerprint,
// login made for this run) and the address of its page.
type TeamSpeak struct {
	QueryAddr, HostKey, User, Password, PageURL string
}

// ListenTeamSpeak listens for the simulated TeamSpeak's page on listen
// (DefaultTeamSpeakListen, or a free port when that is taken, if empty)
// and for its ServerQuery on a free loopback port.
func ListenTeamSpeak(listen string) (page, query net.Listener, err error) {
	if page, err = listenFor("-teamspeak-listen", listen, DefaultTeamSpeakListen); err != nil {
		return nil, nil, err
	}
	if query, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		page.Close()
		return nil, nil, fmt.Errorf("demo: teamspeak query: %w", err)
	}
	return page, query, nil
}

// SeedTeamSpeak makes, or points again, the demo's TeamSpeak service at
// the simulated server of this run, open to the Member and Blue states,
// groups mapped by name and the state as a group: a visitor activates it
// on the Services page, redeems the key on the simulated server's page and
// sees their groups there. The simulated server is new at every start, so
// the accounts a kept folder remembers are forgotten.
func SeedTeamSpeak(ctx context.Context, db *store.DB, svc *services.Services, ts TeamSpeak) error {
	host, port, err := net.SplitHostPort(ts.QueryAddr)
	if err != nil {
		return fmt.Errorf("demo: teamspeak: %w", err)
	}
	in := services.Input{Slug: TeamSpeakSlug, Type: "teamspeak3", Name: "TeamSpeak", Enabled: true, MapByName: true, StateAsGroup: true,
		Settings: map[string]string{teamspeak3.SettingHost: host, teamspeak3.SettingQueryPort: port,
			teamspeak3.SettingTransport: teamspeak3.TransportSSH, teamspeak3.SettingHostKey: ts.HostKey,
			teamspeak3.SettingQueryUser: ts.User, teamspeak3.SettingQueryPassword: ts.Password,
			teamspeak3.SettingMemberGroup: TeamSpeakMemberGroup, teamspeak3.SettingPublicAddress: "127.0.0.1",
			// The simulated server allowlists loopback, as an admin would
			// the Keepstar host.
			teamspeak3.SettingAllowlisted: "true"}}
	return seedService(ctx, db, svc, in, true)
}
