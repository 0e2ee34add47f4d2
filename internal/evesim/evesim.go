package evesim

import (
	"crypto/rsa"
	"log/slog"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/esi"
	"github.com/keepstar/keepstar/internal/evesim/images"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// Options configure a simulator.
type Options struct {
	// BaseURL is where the simulator is reached (http://127.0.0.1:8081):
	// SSO's metadata and issuer are built from it.
	BaseURL string
	// Seed and Characters make the universe.
	Seed       int64
	Characters int
	// Clients are the registered EVE applications.
	Clients []sso.Client
	// Issuer chooses the iss claim's form.
	Issuer sso.IssuerForm
	// RotateRefreshTokens makes each refresh return a new refresh token.
	RotateRefreshTokens bool
	// Clock drives the universe; nil means a new one on the wall clock.
	Clock *universe.Clock
	// SigningKey signs access tokens; nil generates one.
	SigningKey *rsa.PrivateKey
	Logger     *slog.Logger
}

// Sim is the whole simulator: universe, SSO, ESI, image server and control
// API behind one http.Handler.
type Sim struct {
	Universe *universe.Universe
	SSO      *sso.Server
	ESI      *esi.Server
	Clock    *universe.Clock
	mux      *http.ServeMux
}

// New generates the universe and builds the servers.
func New(opts Options) (*Sim, error) {
	if opts.Clock == nil {
		opts.Clock = universe.NewClock(nil)
	}
	started := time.Now()
	u, err := universe.Generate(universe.Options{Seed: opts.Seed, Characters: opts.Characters, Now: opts.Clock.Now})
	if err != nil {
		return nil, err
	}
	ssoServer, err := sso.New(sso.Options{
		BaseURL: opts.BaseURL, Clients: opts.Clients, Issuer: opts.Issuer,
		RotateRefreshTokens: opts.RotateRefreshTokens, Universe: u, SigningKey: opts.SigningKey,
	})
	if err != nil {
		return nil, err
	}
	esiServer := esi.New(esi.Options{
		Universe: u,
		// ESI learns who a token belongs to from the SSO that issued it.
		Tokens: esi.TokenVerifierFunc(func(raw string) (esi.Grant, error) {
			t, err := ssoServer.VerifyAccessToken(raw)
			if err != nil {
				return esi.Grant{}, err
			}
			return esi.Grant{CharacterID: t.CharacterID, Scopes: t.Scopes, ClientID: t.ClientID, Expires: t.Expires}, nil
		}),
		Logger: opts.Logger,
	})
	s := &Sim{Universe: u, SSO: ssoServer, ESI: esiServer, Clock: opts.Clock, mux: http.NewServeMux()}
	for _, prefix := range []string{"/.well-known/", "/oauth/", "/v2/oauth/"} {
		s.mux.Handle(prefix, ssoServer)
	}
	(&control{u: u, clock: opts.Clock, esi: esiServer, mail: esiServer}).mount(s.mux)
	// The image server (images.evetech.net) lives under /images, so its paths
	// (/characters/{id}/portrait) do not meet ESI's.
	s.mux.Handle("/images/", http.StripPrefix("/images", images.New(u)))
	s.mux.Handle("/", esiServer)
	if opts.Logger != nil {
		opts.Logger.Info("simulated universe generated", "characters", opts.Characters, "seed", opts.Seed,
			"alliances", len(u.Alliances()), "took", time.Since(started).Round(time.Millisecond))
	}
	return s, nil
}

// ServeHTTP serves SSO, ESI, the image server and the control API.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }
