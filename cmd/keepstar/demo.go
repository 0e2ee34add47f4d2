package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/teamspeaksim"
	"github.com/keepstar/keepstar/internal/web"
	"golang.org/x/crypto/ssh"
)

func (c *cli) demo(ctx context.Context, args []string) int {
	fs := c.flags("demo", "demo [-dir DIR] [-listen ADDR] [-evesim-listen ADDR] [-discord-listen ADDR] [-teamspeak-listen ADDR] [-discourse-listen ADDR] [-xenforo-listen ADDR] [-openfire-listen ADDR] [-murmurd PATH] [-characters N]")
	dir := fs.String("dir", "", "folder for the demo's SQLite file and secret key, kept after the demo\n(default: a temporary folder removed when the demo stops)")
	listen := fs.String("listen", "", "address to serve on (default "+demo.DefaultListen+", or a free port if that one is taken)")
	simListen := fs.String("evesim-listen", "", "address of the simulated EVE (SSO, ESI and /control) the demo logs in with\n(default "+demo.DefaultSimListen+", or a free port if that one is taken)")
	discordListen := fs.String("discord-listen", "", "address of the simulated Discord (API v10, OAuth2 and a page of its guild) the demo's\nDiscord service uses (default "+demo.DefaultDiscordListen+", or a free port if that one is taken)")
	teamspeakListen := fs.String("teamspeak-listen", "", "address of the page of the simulated TeamSpeak 3 server (its groups and clients, and a form to\njoin with a privilege key) the demo's TeamSpeak service uses; its ServerQuery listens on a free port\n(default "+demo.DefaultTeamSpeakListen+", or a free port if that one is taken)")
	discourseListen := fs.String("discourse-listen", "", "address of the simulated Discourse forum (DiscourseConnect, its admin API and a page of its users)\nthe demo's Discourse service uses (default "+demo.DefaultDiscourseListen+", or a free port if that one is taken)")
	xenforoListen := fs.String("xenforo-listen", "", "address of the simulated XenForo forum (XenAPI's api.php and a page to log in)\nthe demo's XenForo service uses (default "+demo.DefaultXenForoListen+", or a free port if that one is taken)")
	openfireListen := fs.String("openfire-listen", "", "address of the simulated Openfire (its REST API, and a page with its users, their groups and a login form)\nthe demo's XMPP service uses (default "+demo.DefaultOpenfireListen+", or a free port if that one is taken)")
	characters := fs.Int("characters", 1000, "characters in the simulated EVE universe the demo logs in with")
	murmurdBin := fs.String("murmurd", "auto", "Mumble server (murmurd with Ice) the demo's Mumble service runs on: a path, \"auto\" for\nDebian's mumble-server when installed, or \"none\"")
	if code, done := parse(fs, args); done {
		return code
	}
	site, err := demo.Prepare(*dir, *listen, *simListen, *discordListen)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	defer site.Cleanup()
	site.Settings["KEEPSTAR_SITE_NAME"] = "Keepstar demo"
	cfg, logger, ok := c.load("demo", "", site.Settings)
	if !ok {
		site.Close()
		return exitUsage
	}
	if *characters < 1 || *characters > 5_000_000 {
		site.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: -characters %d: want 1 to 5000000\n", *characters)
		return exitUsage
	}
	simURL := cfg.EVESSOURL.String()
	sim, err := evesim.New(evesim.Options{
		BaseURL: simURL, Seed: 1, Characters: *characters, Issuer: sso.IssuerEVE, RotateRefreshTokens: true, Logger: logger,
		Clients: []sso.Client{{ID: demo.SimClientID, Secret: demo.SimClientSecret, Callback: cfg.EVECallbackURL.String()}},
	})
	if err != nil {
		site.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	// The seed creates the demo's Discord service instance from discord.
	discordSim, discord, err := newDemoDiscord(cfg.BaseURL.String(), "http://"+site.DiscordListener.Addr().String())
	if err != nil {
		site.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	// The seed creates the demo's TeamSpeak instance from teamspeak.
	tsPage, tsQuery, err := demo.ListenTeamSpeak(*teamspeakListen)
	if err != nil {
		site.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	tsSim, teamspeak, err := newDemoTeamSpeak(tsPage, tsQuery)
	if err != nil {
		site.Close()
		tsPage.Close()
		tsQuery.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	forumLn, err := demo.ListenDiscourse(*discourseListen)
	if err != nil {
		site.Close()
		tsPage.Close()
		tsQuery.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	forumSim, forum := demo.NewDiscourse(forumLn, cfg.BaseURL.String())
	xfLn, err := demo.ListenXenForo(*xenforoListen)
	if err != nil {
		site.Close()
		tsPage.Close()
		tsQuery.Close()
		forumLn.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	xfSim, xf := demo.NewXenForo(xfLn)
	// The seed creates the demo's XMPP instance on the simulated Openfire.
	ofListener, err := demo.ListenOpenfire(*openfireListen)
	if err != nil {
		site.Close()
		tsPage.Close()
		tsQuery.Close()
		forumLn.Close()
		xfLn.Close()
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	ofSim, ofSecret := demo.NewOpenfire()
	ofURL := "http://" + ofListener.Addr().String()
	var mumbleServer demo.Mumble
	if bin := findMurmurd(*murmurdBin); bin != "" {
		p, m, err := startDemoMumble(ctx, bin, site.Dir)
		if err != nil {
			site.Close()
			tsPage.Close()
			tsQuery.Close()
			forumLn.Close()
			xfLn.Close()
			ofListener.Close()
			fmt.Fprintf(c.stderr, "keepstar demo: %v (use -murmurd none to run without one)\n", err)
			return exitFailure
		}
		defer p.Stop()
		mumbleServer = m
	}
	simCtx, stopSim := context.WithCancel(ctx)
	simDone, discordDone := make(chan error, 1), make(chan error, 1)
	tsDone, tsQueryDone := make(chan error, 1), make(chan error, 1)
	go func() { simDone <- serveSim(simCtx, site.SimListener, sim, logger) }()
	go func() { discordDone <- serveSim(simCtx, site.DiscordListener, discordSim, logger) }()
	go func() { tsDone <- serveSim(simCtx, tsPage, tsSim.Handler(), logger) }()
	go func() { tsQueryDone <- tsSim.ServeSSH(simCtx, tsQuery) }()
	forumDone := make(chan error, 1)
	xfDone := make(chan error, 1)
	go func() { forumDone <- serveSim(simCtx, forumLn, forumSim, logger) }()
	go func() { xfDone <- serveSim(simCtx, xfLn, xfSim.Handler(), logger) }()
	ofDone := make(chan error, 1)
	go func() { ofDone <- serveSim(simCtx, ofListener, ofSim.Handler(), logger) }()
	defer func() {
		stopSim()
		<-simDone
		<-discordDone
		<-tsDone
		<-tsQueryDone
		<-forumDone
		<-xfDone
		<-ofDone
	}()
	// The guide is filled by Prepare, before the site serves its first
	// page.
	var guide demo.Guide
	err = app.Run(ctx, cfg, logger, app.Options{
		Mode:           app.All,
		Listener:       site.Listener,
		FirstSuperuser: true,
		Features:       c.features,
		Prepare: func(ctx context.Context, core *core.Core) error {
			if guide, err = demo.Seed(ctx, core.States, core.Groups, sim.Universe); err != nil {
				return err
			}
			if err := demo.SeedDiscord(ctx, core.DB, core.Services, discord); err != nil {
				return err
			}
			if err := demo.SeedPings(ctx, core.DB); err != nil {
				return err
			}
			if err := demo.SeedFlying(ctx, core.DB, core.Logins); err != nil {
				return err
			}
			guide.MailsPage = simURL + "/control/mails"
			if err := demo.SeedMembers(ctx, core, sim, &guide); err != nil {
				return err
			}
			// The demo's groups exist on TeamSpeak too, so mapping by name
			// gives them.
			for _, g := range []string{guide.CorpGroup, demo.GroupOpen, demo.GroupRequest, demo.GroupRestricted} {
				if g != "" && tsSim.GroupID(g) == 0 {
					tsSim.AddGroup(g, teamspeaksim.GroupRegular)
				}
			}
			guide.TeamSpeakPage = teamspeak.PageURL
			if err := demo.SeedTeamSpeak(ctx, core.DB, core.Services, teamspeak); err != nil {
				return err
			}
			for _, g := range []string{guide.CorpGroup, demo.GroupOpen, demo.GroupRequest, demo.GroupRestricted} {
				if g != "" && !xfSim.HasGroup(g) {
					xfSim.AddGroup(g)
				}
			}
			guide.XenForoPage = xf.URL
			if err := demo.SeedXenForo(ctx, core.DB, core.Services, xf); err != nil {
				return err
			}
			guide.DiscoursePage = forum.URL
			if err := demo.SeedDiscourse(ctx, core.DB, core.Services, forum); err != nil {
				return err
			}
			guide.OpenfirePage = ofURL
			if err := demo.SeedOpenfire(ctx, core.DB, core.Services, ofURL, ofSecret); err != nil {
				return err
			}
			if mumbleServer.IceAddr == "" {
				return nil
			}
			return demo.SeedMumble(ctx, core.DB, core.Services, mumbleServer)
		},
		Hints: func(r *http.Request) []web.Hint { return guide.Hints(r) },
		OnReady: func(url string) {
			kept := "kept in " + site.Dir
			if site.Temp {
				kept = "in " + site.Dir + ", removed when the demo stops (use -dir to keep them)"
			}
			fmt.Fprintf(c.stdout, "\nKeepstar demo is running at %s\nSimulated EVE (SSO, ESI, /control): %s, %d characters\n"+
				"Simulated Discord (API v10, OAuth2), its guild's page: %s/guilds/%s\n"+
				"Simulated TeamSpeak 3 (ServerQuery over SSH on %s), its page to join with a key: %s\n"+
				"Simulated Discourse forum, logging in with Keepstar: %s\n"+
				"Simulated XenForo forum (XenAPI), its page to log in: %s\n"+
				"%s"+
				"Log in with any simulated character; the first account becomes superuser, to look at the administration too.\n"+
				"A character of %s (such as %s) gets the Member state and its groups.\n"+
				"Its data and secret key are %s.\nPress Ctrl-C to stop.\n\n", url, simURL, *characters,
				discord.URL, discord.GuildID, teamspeak.QueryAddr, teamspeak.PageURL, forum.URL, xf.URL, mumbleLine(mumbleServer), guide.Alliance, guide.Member, kept)
		},
	})
	if err != nil {
		logger.Error("demo stopped on an error", "error", err)
		return exitFailure
	}
	return exitOK
}

// demoDiscordUsers are the simulated Discord accounts a visitor picks from
// when linking Discord: user name and global (display) name.
var demoDiscordUsers = [][2]string{
	{"pilot_one", "Pilot One"}, {"pilot_two", "Pilot Two"}, {"pilot_three", "Pilot Three"},
	{"pilot_four", "Pilot Four"}, {"pilot_five", "Pilot Five"}, {"pilot_six", "Pilot Six"},
}

// newDemoDiscord builds the demo's simulated Discord, reached at url: an
// application with a bot whose token, client id and secret are made for
// this run, Keepstar's Discord callback (the service instance "discord") as
// its redirect URI, the GUILD_MEMBERS intent on, one guild and the users
// to pick. In the guild the bot's role "Keepstar" is at the top with the
// permissions a connector needs (discordsim.PermConnector: invite, kick,
// manage roles and nicknames), and "Friends", a role that is not
// Keepstar's, sits below it. The guild has no owner among the users, so
// that every one of them can be linked, renamed and kicked.
func newDemoDiscord(baseURL, url string) (*discordsim.Server, demo.Discord, error) {
	clientID, err := snowflake()
	if err != nil {
		return nil, demo.Discord{}, err
	}
	secret, err := randomText(24)
	if err != nil {
		return nil, demo.Discord{}, err
	}
	mid, err := randomText(4)
	if err != nil {
		return nil, demo.Discord{}, err
	}
	last, err := randomText(27)
	if err != nil {
		return nil, demo.Discord{}, err
	}
	// Discord's bot tokens are the bot's id in base64, a stamp and an HMAC.
	token := base64.RawStdEncoding.EncodeToString([]byte(clientID)) + "." + mid + "." + last
	sim := discordsim.New(discordsim.Options{BotToken: token, ClientID: clientID, ClientSecret: secret,
		RedirectURIs: []string{strings.TrimRight(baseURL, "/") + "/services/discord/callback"}, MembersIntent: true})
	g := sim.AddGuild("Keepstar demo", "")
	if _, err := sim.AddRole(g.ID, "Friends", false); err != nil {
		return nil, demo.Discord{}, fmt.Errorf("demo: %w", err)
	}
	// Group pings sent to the demo's Discord are posted here; its page
	// shows them.
	pings, err := sim.AddChannel(g.ID, "pings")
	if err != nil {
		return nil, demo.Discord{}, fmt.Errorf("demo: %w", err)
	}
	for _, u := range demoDiscordUsers {
		sim.SetGlobalName(sim.AddUser(u[0]).ID, u[1])
	}
	return sim, demo.Discord{URL: url, GuildID: g.ID, BotToken: token, ClientID: clientID, ClientSecret: secret,
		PingChannelID: pings.ID}, nil
}

// snowflake makes a Discord-style id: milliseconds since Discord's epoch
// (2015) shifted left by 22 bits, the low bits random.
func snowflake() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	ms := uint64(time.Now().UnixMilli() - 1_420_070_400_000)
	return strconv.FormatUint(ms<<22|uint64(binary.BigEndian.Uint32(b[:])&(1<<22-1)), 10), nil
}

// randomText is n random bytes in URL-safe base64.
func randomText(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newDemoTeamSpeak builds the demo's simulated TeamSpeak 3 server: a query
// login made for this run, loopback allowlisted (so the demo's syncs are
// not held to the anti-flood rule), and the groups the demo's states and
// Keepstar's member mark give ("Member", "Blue", "Keepstar"; the demo's
// own groups are added once the seed named them).
func newDemoTeamSpeak(page, query net.Listener) (*teamspeaksim.Server, demo.TeamSpeak, error) {
	password, err := randomText(18)
	if err != nil {
		return nil, demo.TeamSpeak{}, err
	}
	sim := teamspeaksim.New(teamspeaksim.Options{QueryUser: "serveradmin", QueryPassword: password,
		Allowlist: []string{"127.0.0.1"}})
	for _, g := range []string{demo.TeamSpeakMemberGroup, "Member", "Blue"} {
		sim.AddGroup(g, teamspeaksim.GroupRegular)
	}
	return sim, demo.TeamSpeak{QueryAddr: query.Addr().String(), HostKey: ssh.FingerprintSHA256(sim.HostKey()),
		User: "serveradmin", Password: password, PageURL: "http://" + page.Addr().String()}, nil
}
