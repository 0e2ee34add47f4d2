package signin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// SSO is what the flows need of the EVE SSO client (*sso.Client).
type SSO interface {
	AuthorizeURL(ctx context.Context, state string, scopes []string, verifier string) (string, error)
	Exchange(ctx context.Context, code, verifier string) (sso.Token, error)
}

// RolesReader reads a character's in-game roles with a token in hand
// (*esi.Client).
type RolesReader interface {
	CharacterRoles(ctx context.Context, characterID int32, accessToken string) ([]string, error)
}

// Deps are what the flows use.
type Deps struct {
	DB        *store.DB
	SSO       SSO // nil when no EVE application is configured
	Accounts  *accounts.Accounts
	Logins    *logins.Store
	Tokens    *tokens.Store
	Directory *affiliations.Directory
	Roles     RolesReader
	Settings  *settings.Store
	// Pending seals the cookie of flows started and not yet back; its
	// key's purpose is PendingPurpose.
	Pending *secrets.Box
	// Sessions are the session times the sessions page explains.
	Sessions     SessionTimes
	Logger       *slog.Logger
	Now          func() time.Time
	LookupBudget time.Duration // how long a login waits for ESI's affiliations; 0: 10 s
	// CallbackURL is the address EVE's SSO sends players back to, which
	// the EVE application must name exactly (the setup checklist shows it).
	CallbackURL string
}

// Signin serves the login pages and flows.
type Signin struct {
	srv   *web.Server
	deps  Deps
	pages *web.Pages
}

// purpose says what a flow is for.
type purpose string

const (
	toLogIn        purpose = "login"
	toAddCharacter purpose = "add"
	toGiveToken    purpose = "token"
)

func (s *Signin) now() time.Time { return s.deps.Now() }

// start sends the visitor to the EVE SSO for a login.
func (s *Signin) start(w http.ResponseWriter, r *http.Request, name string) {
	ctx := r.Context()
	if s.deps.SSO == nil {
		s.srv.Fail(w, r, http.StatusServiceUnavailable, "signin.error.not_configured")
		return
	}
	login, err := s.deps.Logins.Get(ctx, name)
	if err == nil && !s.deps.Logins.Offered(name) {
		err = logins.ErrNotFound // a token for a feature not built yet
	}
	if errors.Is(err, logins.ErrNotFound) {
		s.srv.Fail(w, r, http.StatusNotFound, "signin.error.unknown_login", "Login", name)
		return
	}
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	values, err := s.deps.Settings.Values(ctx)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	v := web.ViewerFrom(ctx)
	p := pending{State: sso.NewState(), Verifier: sso.NewVerifier(), Login: login.Name,
		Next: web.LocalPath(r.URL.Query().Get("next"), ""), Started: s.now()}
	if name == logins.NoScopes && !values.Bool(accounts.SettingAllowNoScopes) {
		s.srv.Fail(w, r, http.StatusForbidden, "signin.error.no_scopes_off")
		return
	}
	switch {
	case name == logins.Default || name == logins.NoScopes:
		p.Purpose = toLogIn
		if v != nil {
			p.Purpose, p.Account = toAddCharacter, v.AccountID
		}
	case v == nil:
		web.SeeOther(w, r, "/?next="+url.QueryEscape(r.URL.RequestURI()))
		return
	case name == logins.Mail && !v.HasRole(access.RoleSettings):
		s.srv.Fail(w, r, http.StatusForbidden, "signin.error.mail_role")
		return
	default:
		p.Purpose, p.Account = toGiveToken, v.AccountID
	}
	if c := r.URL.Query().Get("character"); c != "" {
		id, err := strconv.ParseInt(c, 10, 32)
		if err != nil || id <= 0 {
			s.srv.Fail(w, r, http.StatusBadRequest, "signin.error.bad_character", "Value", c)
			return
		}
		p.Expect = int32(id)
	}
	u, err := s.deps.SSO.AuthorizeURL(ctx, p.State, login.Scopes, p.Verifier)
	if err != nil {
		s.ssoFailed(w, r, err)
		return
	}
	s.keep(w, r, p)
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// callback is where the EVE SSO sends the player back.
func (s *Signin) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	p, ok := s.take(w, r, q.Get("state"))
	if !ok {
		s.srv.Fail(w, r, http.StatusBadRequest, "signin.error.state")
		return
	}
	if e := q.Get("error"); e != "" {
		s.srv.FailDetail(w, r, http.StatusForbidden, limit(e+": "+q.Get("error_description"), 300), "signin.error.refused")
		return
	}
	if s.now().Sub(p.Started) > flowLifetime {
		s.srv.Fail(w, r, http.StatusBadRequest, "signin.error.expired")
		return
	}
	code := q.Get("code")
	if code == "" {
		s.srv.Fail(w, r, http.StatusBadRequest, "signin.error.no_code")
		return
	}
	login, err := s.deps.Logins.Get(ctx, p.Login)
	if errors.Is(err, logins.ErrNotFound) {
		s.srv.Fail(w, r, http.StatusNotFound, "signin.error.unknown_login", "Login", p.Login)
		return
	}
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	tok, err := s.deps.SSO.Exchange(ctx, code, p.Verifier)
	if err != nil {
		s.ssoFailed(w, r, err)
		return
	}
	if missing := missingScopes(login.Scopes, tok.Claims.Scopes); len(missing) > 0 {
		s.srv.Fail(w, r, http.StatusBadRequest, "signin.error.scopes", "Scopes", strings.Join(missing, " "))
		return
	}
	if p.Expect != 0 && tok.Claims.CharacterID != p.Expect {
		s.srv.Fail(w, r, http.StatusConflict, "signin.error.wrong_character", "Character", tok.Claims.Name, "Expected", s.characterName(ctx, p.Expect))
		return
	}
	if p.Purpose != toLogIn {
		v := web.ViewerFrom(ctx)
		if v == nil {
			s.srv.Fail(w, r, http.StatusUnauthorized, "signin.error.logged_out")
			return
		}
		if v.AccountID != p.Account {
			s.srv.Fail(w, r, http.StatusConflict, "signin.error.other_account")
			return
		}
	}
	switch p.Purpose {
	case toLogIn:
		s.finishLogin(w, r, p, tok)
	case toAddCharacter:
		s.finishAdd(w, r, p, tok)
	default:
		s.finishToken(w, r, p, login, tok)
	}
}

// ssoFailed explains an SSO failure.
func (s *Signin) ssoFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.deps.Logger.WarnContext(r.Context(), "EVE SSO", "error", err)
	switch {
	case errors.Is(err, sso.ErrInvalidGrant):
		s.srv.Fail(w, r, http.StatusBadRequest, "signin.error.code")
	case errors.Is(err, sso.ErrInvalidClient):
		s.srv.Fail(w, r, http.StatusServiceUnavailable, "signin.error.client")
	case errors.Is(err, sso.ErrInvalidToken), errors.Is(err, sso.ErrUnknownKey):
		s.srv.Fail(w, r, http.StatusBadGateway, "signin.error.token")
	case errors.Is(err, sso.ErrUnavailable):
		s.srv.Fail(w, r, http.StatusServiceUnavailable, "signin.error.sso_down")
	default:
		s.srv.Fail(w, r, http.StatusBadGateway, "signin.error.sso_down")
	}
}

func (s *Signin) finishLogin(w http.ResponseWriter, r *http.Request, p pending, tok sso.Token) {
	ctx := r.Context()
	values, err := s.deps.Settings.Values(ctx)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	res, err := s.deps.Accounts.Login(ctx, accounts.LoginRequest{Token: tok, TokenLogin: logins.Default,
		AllowAltLogin: !values.Bool(accounts.SettingDisableAltLogin)})
	switch {
	case errors.Is(err, accounts.ErrDeactivated):
		s.srv.Fail(w, r, http.StatusForbidden, "signin.error.deactivated")
		return
	case errors.Is(err, accounts.ErrAltLogin):
		s.srv.Fail(w, r, http.StatusForbidden, "signin.error.alt_login", "Character", tok.Claims.Name)
		return
	case err != nil:
		s.srv.Internal(w, r, err)
		return
	}
	if err := s.srv.LogIn(ctx, tok.Claims.CharacterID, tok.Claims.Owner); err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	s.lookUp(ctx, res.AccountID)
	s.deps.Logger.InfoContext(ctx, "logged in", "character_id", tok.Claims.CharacterID, "account_id", res.AccountID,
		"outcome", cmp.Or(string(res.Outcome), "returning"))
	switch res.Outcome {
	case accounts.Created:
		s.srv.AddFlash(r, "success", "signin.created", "Character", tok.Claims.Name)
	case accounts.NewOwner:
		s.srv.AddFlash(r, "warning", "signin.new_owner", "Character", tok.Claims.Name)
	}
	web.SeeOther(w, r, web.LocalPath(p.Next, "/dashboard"))
}

func (s *Signin) finishAdd(w http.ResponseWriter, r *http.Request, p pending, tok sso.Token) {
	ctx := r.Context()
	res, err := s.deps.Accounts.AddCharacter(ctx, p.Account, tok, logins.Default)
	switch {
	case errors.Is(err, accounts.ErrDeactivated):
		s.srv.Fail(w, r, http.StatusForbidden, "signin.error.deactivated")
		return
	case err != nil:
		s.srv.Internal(w, r, err)
		return
	}
	s.lookUp(ctx, res.AccountID)
	s.deps.Logger.InfoContext(ctx, "character added", "character_id", tok.Claims.CharacterID, "account_id", res.AccountID,
		"outcome", string(res.Outcome))
	name := tok.Claims.Name
	switch res.Outcome {
	case accounts.Added:
		s.srv.AddFlash(r, "success", "signin.added", "Character", name)
	case accounts.Renewed:
		s.srv.AddFlash(r, "success", "signin.renewed", "Character", name)
	case accounts.Merged:
		s.srv.AddFlash(r, "success", "signin.merged", "Character", name)
	case accounts.MovedHere:
		s.srv.AddFlash(r, "success", "signin.moved_here", "Character", name)
	}
	if res.TokenKept {
		s.srv.AddFlash(r, "info", "signin.token_kept", "Character", name)
	}
	web.SeeOther(w, r, web.LocalPath(p.Next, "/characters"))
}

func (s *Signin) finishToken(w http.ResponseWriter, r *http.Request, p pending, login logins.Login, tok sso.Token) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	if login.Name == logins.Mail && !v.HasRole(access.RoleSettings) {
		s.srv.Fail(w, r, http.StatusForbidden, "signin.error.mail_role")
		return
	}
	c, err := s.deps.Accounts.Character(ctx, tok.Claims.CharacterID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		s.srv.Internal(w, r, err)
		return
	}
	if err != nil || c.AccountID != v.AccountID {
		s.srv.Fail(w, r, http.StatusConflict, "signin.error.not_on_account", "Character", tok.Claims.Name)
		return
	}
	if c.OwnerHash != tok.Claims.Owner {
		s.srv.Fail(w, r, http.StatusConflict, "signin.error.owner_changed", "Character", c.Name)
		return
	}
	var hasRoles *bool
	if len(login.Roles) > 0 {
		roles, err := s.deps.Roles.CharacterRoles(ctx, c.ID, tok.AccessToken)
		if err != nil {
			s.deps.Logger.WarnContext(ctx, "read in-game roles", "character_id", c.ID, "error", err)
			s.srv.Fail(w, r, http.StatusServiceUnavailable, "signin.error.roles_unreadable")
			return
		}
		if missing := missingScopes(login.Roles, roles); len(missing) > 0 {
			s.srv.Fail(w, r, http.StatusForbidden, "signin.error.roles", "Character", c.Name, "Roles", strings.Join(missing, ", "))
			return
		}
		yes := true
		hasRoles = &yes
	}
	err = s.deps.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.deps.Tokens.Save(ctx, tx, tok, login.Name); err != nil {
			return err
		}
		if hasRoles != nil {
			return s.deps.Tokens.SetHasRoles(ctx, tx, c.ID, login.Name, *hasRoles)
		}
		return nil
	})
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	s.srv.AddFlash(r, "success", "signin.token_added", "Login", login.Name, "Character", c.Name)
	web.SeeOther(w, r, web.LocalPath(p.Next, "/tokens"))
}

// lookUp brings the corporations and alliances of the account's
// characters up to date after a login, within a short budget: a slow or
// failing ESI never stops a login, and the scheduled updates catch up.
func (s *Signin) lookUp(ctx context.Context, accountID int64) {
	budget := s.deps.LookupBudget
	if budget <= 0 {
		budget = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	cs, err := s.deps.Accounts.Characters(ctx, accountID)
	if err == nil {
		var affs []esi.Affiliation
		if affs, err = s.deps.Directory.Lookup(ctx, accounts.IDs(cs)); err == nil {
			_, err = s.deps.Accounts.ApplyAffiliations(ctx, affs)
		}
	}
	if err != nil {
		s.deps.Logger.WarnContext(ctx, "affiliations after login", "account_id", accountID, "error", err)
	}
}

func (s *Signin) characterName(ctx context.Context, id int32) string {
	if c, err := s.deps.Accounts.Character(ctx, id); err == nil {
		return c.Name
	}
	return fmt.Sprint(id)
}

// missingScopes lists what of want is not in have.
func missingScopes(want, have []string) []string {
	var missing []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			missing = append(missing, w)
		}
	}
	return missing
}

func limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
