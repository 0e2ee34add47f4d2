package accounts

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/setup"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// TokenStatuses reads what pages show of tokens (*tokens.Store).
type TokenStatuses interface {
	Statuses(ctx context.Context, q store.Querier, characterIDs []int32) ([]tokens.Status, error)
}

// LoginList lists the EVE logins (*logins.Store), and tells those offered
// to members.
type LoginList interface {
	List(ctx context.Context) ([]logins.Login, error)
	Offered(name string) bool
}

// PageDeps are what the pages use besides Accounts.
type PageDeps struct {
	DB       *store.DB
	Tokens   TokenStatuses
	Logins   LoginList
	Settings *settings.Store
	// Permissions lists the permissions superusers give accounts.
	Permissions *access.Catalogue
	// Setup is the setup checklist the dashboard shows superusers until
	// it is done; nil shows none.
	Setup SetupStatus
	// Roles are the roles superusers are offered to give: those the
	// features declared.
	Roles *access.RoleSet
	// Cards gives the features' cards of a member's dashboard
	// (feature.Set.Cards), and CardsFor tells the Services and Apps menu
	// entries those cards stand for (feature.Set.CardsFor); nil: none.
	Cards    func(ctx context.Context, accountID int64) ([]feature.Card, error)
	CardsFor func(path string) bool
	// Logger logs what a page shows without: cards that could not be read.
	Logger *slog.Logger
}

// SetupStatus reads the setup checklist (*setup.Checklist).
type SetupStatus interface {
	Status(ctx context.Context) setup.Status
}

// pages serves the member's and the user admins' pages.
type pages struct {
	a     *Accounts
	srv   *web.Server
	deps  PageDeps
	pages *web.Pages
}

// AdminAccess admits user admins to the user administration.
var AdminAccess = web.Role(access.RoleUserAdmin)

// Mount adds the account pages, their JSON twins and their menu entries.
func (a *Accounts) Mount(srv *web.Server, deps PageDeps) error {
	ps, err := srv.ParsePages(templates, "templates/*.html", "templates/partials/*.html")
	if err != nil {
		return err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	p := &pages{a: a, srv: srv, deps: deps, pages: ps}
	srv.Handle("GET /dashboard", web.LoggedIn, http.HandlerFunc(p.dashboard))
	srv.Handle("GET /characters", web.LoggedIn, http.HandlerFunc(p.characters))
	srv.Handle("POST /characters/{id}/main", web.LoggedIn, http.HandlerFunc(p.setMain))
	srv.HandleConfirmed("/characters/{id}/delete", web.LoggedIn, p.askDeleteCharacter, p.deleteCharacter)
	srv.Handle("GET /tokens", web.LoggedIn, http.HandlerFunc(p.tokens))
	srv.Handle("GET /profile", web.LoggedIn, http.HandlerFunc(p.profile))
	srv.Handle("POST /profile", web.LoggedIn, http.HandlerFunc(p.saveProfile))
	srv.Handle("GET /api/me", web.LoggedIn, http.HandlerFunc(p.me))

	srv.Handle("GET /admin/accounts", AdminAccess, http.HandlerFunc(p.adminSearch))
	srv.Handle("GET /admin/accounts/{id}", AdminAccess, http.HandlerFunc(p.adminAccount))
	srv.Handle("POST /admin/accounts/{id}/active", AdminAccess, http.HandlerFunc(p.adminSetActive))
	srv.Handle("POST /admin/accounts/{id}/status", AdminAccess, http.HandlerFunc(p.adminSetStatus))
	srv.HandleConfirmed("/admin/accounts/{id}/deactivate", AdminAccess, p.askDeactivate, p.deactivate)
	srv.HandleConfirmed("/admin/accounts/{id}/characters/{cid}/delete", AdminAccess, p.askAdminDeleteCharacter, p.adminDeleteCharacter)
	srv.Handle("POST /admin/accounts/{id}/roles", web.Superusers, http.HandlerFunc(p.adminSetRoles))
	srv.Handle("POST /admin/accounts/{id}/permissions", web.Superusers, http.HandlerFunc(p.adminSetPermissions))
	srv.Handle("GET /api/admin/accounts/{id}", AdminAccess, http.HandlerFunc(p.adminAccountJSON))

	return nil
}

// dashboardPage is the data of dashboard.html. The services and apps the
// member may use are the features' cards and, for the menu entries no
// feature's cards stand for, the page's menu entries (web.Page.Menu).
type dashboardPage struct {
	Main        *Character
	Characters  []Character
	Roles       []string
	Groups      []access.NamedGroup
	Deactivated access.Deactivated
	// TokenWarnings are the member's tokens that no longer work, each
	// mended by logging in with its character again.
	TokenWarnings []TokenWarning
	// Setup is the setup checklist, for superusers while it is not done.
	Setup *setup.Status
	// Cards are the features' cards, each with its status in the
	// member's language.
	Cards []DashboardCard
	// carded tells the menu entries the cards stand for.
	carded func(path string) bool
}

// DashboardCard is a feature's card as the dashboard shows it.
type DashboardCard struct {
	Title, Kind, Path string
	// Status is the message id of the card's status (a hook for tests and
	// styles); Text the message in the member's language, Action that of
	// its button, if any.
	Status, Text, Action string
	Problem              bool
}

// Plain reports whether the menu entry at path gets a card of its own: no
// feature's cards stand for it.
func (d dashboardPage) Plain(path string) bool { return d.carded == nil || !d.carded(path) }

// Tiles lays out the "services and apps" grid: the services' cards, then
// the Services menu entries no card stands for, then the same for the
// apps.
func (d dashboardPage) Tiles(m web.Menu) []DashboardCard {
	var out []DashboardCard
	for _, section := range []struct {
		kind    string
		entries []web.MenuEntry
	}{{"service", m.Services}, {"app", m.Apps}} {
		for _, c := range d.Cards {
			if (c.Kind == "app") == (section.kind == "app") {
				out = append(out, c)
			}
		}
		for _, e := range section.entries {
			if d.Plain(e.Path) {
				out = append(out, DashboardCard{Title: e.Label, Kind: section.kind, Path: e.Path})
			}
		}
	}
	return out
}

// cards reads the features' cards. When some cannot be read, the error is
// logged and the page shows the others and, for the menu entries no card
// read stands for, their plain cards: the member's home page does not
// fail for one service's status.
func (p *pages) cards(r *http.Request, page *dashboardPage) {
	if p.deps.Cards == nil {
		return
	}
	ctx := r.Context()
	cs, err := p.deps.Cards(ctx, web.ViewerFrom(ctx).AccountID)
	for _, c := range cs {
		card := DashboardCard{Title: c.Title, Kind: c.Kind, Path: c.Path, Status: c.Status,
			Text: p.srv.T(r, c.Status, c.Args...), Problem: c.Problem}
		if c.Action != "" {
			card.Action = p.srv.T(r, c.Action)
		}
		page.Cards = append(page.Cards, card)
	}
	if err != nil {
		p.deps.Logger.ErrorContext(ctx, "dashboard cards", "error", err)
	}
	page.carded = carded(p.deps.CardsFor, cs, err)
}

// carded tells the menu entries cards stand for: those of features with
// cards (cardsFor) or, when some cards could not be read, only those some
// card read leads under, so that a feature whose cards failed keeps its
// plain card.
func carded(cardsFor func(string) bool, cs []feature.Card, err error) func(string) bool {
	return func(path string) bool {
		if cardsFor == nil || !cardsFor(path) {
			return false
		}
		return err == nil || slices.ContainsFunc(cs, func(c feature.Card) bool { return under(c.Path, path) })
	}
}

// under reports whether a card's path (its query and fragment aside) is
// a menu entry's path or below it.
func under(card, entry string) bool {
	if i := strings.IndexAny(card, "?#"); i >= 0 {
		card = card[:i]
	}
	return card == entry || strings.HasPrefix(card, strings.TrimSuffix(entry, "/")+"/")
}

// TokenWarning is a token of a character that no longer works.
type TokenWarning struct {
	Character Character
	Login     string
}

func (p *pages) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	cs, err := p.a.Characters(ctx, v.AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page := dashboardPage{Characters: cs, Roles: v.Roles}
	if len(cs) > 0 && cs[0].Main {
		page.Main = &cs[0]
	}
	if page.Groups, page.Deactivated, err = access.GroupsOf(ctx, p.deps.DB, v.AccountID); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if page.TokenWarnings, err = p.tokenWarnings(ctx, cs, v); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if v.Superuser && p.deps.Setup != nil {
		if st := p.deps.Setup.Status(ctx); !st.Complete() {
			page.Setup = &st
		}
	}
	p.cards(r, &page)
	p.srv.Render(w, r, p.pages, "dashboard.html", http.StatusOK, "accounts.dashboard.title", page)
}

// charactersPage is the data of characters.html.
type charactersPage struct {
	Characters  []Character
	LoggedIn    int32
	MayDelete   bool
	Removals    []Removal
	AccountID   int64
	AccountName string
}

func (p *pages) characters(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	cs, err := p.a.Characters(ctx, v.AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	removals, err := p.a.Removals(ctx, v.AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	values, err := p.deps.Settings.Values(ctx)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "characters.html", http.StatusOK, "accounts.characters.title", charactersPage{
		Characters: cs, LoggedIn: v.CharacterID, MayDelete: values.Bool(SettingAllowCharacterDeletion),
		Removals: removals, AccountID: v.AccountID, AccountName: v.Name,
	})
}

func (p *pages) setMain(w http.ResponseWriter, r *http.Request) {
	id, ok := p.srv.PathID(w, r, "id", "web.error.not_found")
	if !ok {
		return
	}
	v := web.ViewerFrom(r.Context())
	switch err := p.a.SetMain(r.Context(), v.AccountID, int32(id)); {
	case errors.Is(err, ErrNotOnAccount):
		p.srv.Fail(w, r, http.StatusNotFound, "accounts.characters.error.not_yours")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "accounts.characters.main_changed")
		web.SeeOther(w, r, "/characters")
	}
}

func (p *pages) deleteCharacter(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := p.srv.PathID(w, r, "id", "web.error.not_found")
	if !ok {
		return
	}
	v := web.ViewerFrom(ctx)
	values, err := p.deps.Settings.Values(ctx)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	switch err := p.a.DeleteByMember(ctx, v.AccountID, int32(id), v.CharacterID, values.Bool(SettingAllowCharacterDeletion)); {
	case errors.Is(err, ErrDeletionOff):
		p.srv.Fail(w, r, http.StatusForbidden, "accounts.characters.error.deletion_off")
	case errors.Is(err, ErrLoggedInCharacter):
		p.srv.Fail(w, r, http.StatusConflict, "accounts.characters.error.logged_in")
	case errors.Is(err, ErrNotOnAccount):
		p.srv.Fail(w, r, http.StatusNotFound, "accounts.characters.error.not_yours")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "accounts.characters.deleted")
		web.SeeOther(w, r, "/characters")
	}
}

// TokenCell is one character's token of one login, as the tokens page
// shows it.
type TokenCell struct {
	Login string
	// State is "valid", "invalid", "no-scopes", "no-roles" or "none".
	State     string
	CheckedAt string
	Scopes    []string
}

// TokenRow is one character's tokens.
type TokenRow struct {
	Character Character
	Cells     []TokenCell
}

type tokensPage struct {
	Logins []logins.Login
	Rows   []TokenRow
}

// tokenGrid reads the tokens of characters for the logins a member sees.
func (p *pages) tokenGrid(ctx context.Context, cs []Character, v *web.Viewer) (tokensPage, error) {
	all, err := p.deps.Logins.List(ctx)
	if err != nil {
		return tokensPage{}, err
	}
	var shown []logins.Login
	for _, l := range all {
		// core.no-scopes keeps its token under core.default; core.mail is
		// for the site's settings admins.
		if l.Name == logins.NoScopes || l.Name == logins.Mail && !v.HasRole(access.RoleSettings) || !p.deps.Logins.Offered(l.Name) {
			continue
		}
		shown = append(shown, l)
	}
	statuses, err := p.deps.Tokens.Statuses(ctx, p.deps.DB, IDs(cs))
	if err != nil {
		return tokensPage{}, err
	}
	type key struct {
		id    int32
		login string
	}
	byKey := map[key]tokens.Status{}
	for _, st := range statuses {
		byKey[key{st.CharacterID, st.Login}] = st
	}
	page := tokensPage{Logins: shown}
	for _, c := range cs {
		row := TokenRow{Character: c}
		for _, l := range shown {
			cell := TokenCell{Login: l.Name, State: "none"}
			if st, ok := byKey[key{c.ID, l.Name}]; ok {
				cell.Scopes = st.Scopes
				cell.CheckedAt = web.EVETime(st.CheckedAt)
				switch {
				case !st.Valid:
					cell.State = "invalid"
				case len(st.Scopes) == 0:
					cell.State = "no-scopes"
				case st.HasRoles != nil && !*st.HasRoles:
					cell.State = "no-roles"
				default:
					cell.State = "valid"
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		page.Rows = append(page.Rows, row)
	}
	return page, nil
}

// tokenWarnings lists the tokens of characters that no longer work, of the
// logins the tokens page shows the member, in one statement: the dashboard
// stays as cheap with fifty characters as with one.
func (p *pages) tokenWarnings(ctx context.Context, cs []Character, v *web.Viewer) ([]TokenWarning, error) {
	statuses, err := p.deps.Tokens.Statuses(ctx, p.deps.DB, IDs(cs))
	if err != nil {
		return nil, err
	}
	byID := map[int32]Character{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	var out []TokenWarning
	for _, st := range statuses {
		if st.Valid || st.Login == logins.NoScopes || st.Login == logins.Mail && !v.HasRole(access.RoleSettings) {
			continue
		}
		if c, ok := byID[st.CharacterID]; ok {
			out = append(out, TokenWarning{Character: c, Login: st.Login})
		}
	}
	return out, nil
}

func (p *pages) tokens(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	cs, err := p.a.Characters(ctx, v.AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page, err := p.tokenGrid(ctx, cs, v)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "tokens.html", http.StatusOK, "accounts.tokens.title", struct{ Tokens tokensPage }{page})
}

type profilePage struct {
	Language  string
	Theme     string
	Languages []i18n.Language
	Themes    []web.Theme
}

func (p *pages) profile(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	p.srv.Render(w, r, p.pages, "profile.html", http.StatusOK, "accounts.profile.title", profilePage{
		Language: v.Language, Theme: v.Theme, Languages: p.srv.Languages(), Themes: web.Themes,
	})
}

func (p *pages) saveProfile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	lang, theme := r.PostForm.Get("language"), r.PostForm.Get("theme")
	if lang != "" && !slices.ContainsFunc(p.srv.Languages(), func(l i18n.Language) bool { return l.Tag == lang }) {
		p.srv.Fail(w, r, http.StatusBadRequest, "accounts.profile.error.language", "Value", lang)
		return
	}
	if theme != "" && !slices.Contains(web.ThemeIDs(), theme) {
		p.srv.Fail(w, r, http.StatusBadRequest, "accounts.profile.error.theme", "Value", theme)
		return
	}
	if err := p.a.SetPreferences(ctx, v.AccountID, lang, theme); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	// The flash is in the new language: the member sees it on the next page.
	v.Language = lang
	p.srv.AddFlash(r.WithContext(web.WithViewer(ctx, v)), "success", "accounts.profile.saved")
	web.SeeOther(w, r, "/profile")
}

// CharacterJSON is a character in Keepstar's JSON answers.
type CharacterJSON struct {
	ID                int32  `json:"id"`
	Name              string `json:"name"`
	Main              bool   `json:"main"`
	CorporationID     int32  `json:"corporationId,omitempty"`
	CorporationName   string `json:"corporationName,omitempty"`
	CorporationTicker string `json:"corporationTicker,omitempty"`
	AllianceID        int32  `json:"allianceId,omitempty"`
	AllianceName      string `json:"allianceName,omitempty"`
	AllianceTicker    string `json:"allianceTicker,omitempty"`
	FactionID         int32  `json:"factionId,omitempty"`
	Added             string `json:"added"`
	LastLogin         string `json:"lastLogin,omitempty"`
}

func characterJSON(c Character) CharacterJSON {
	return CharacterJSON{ID: c.ID, Name: c.Name, Main: c.Main, CorporationID: c.CorporationID, CorporationName: c.CorporationName,
		CorporationTicker: c.CorporationTicker, AllianceID: c.AllianceID, AllianceName: c.AllianceName,
		AllianceTicker: c.AllianceTicker, FactionID: c.FactionID, Added: jsonTime(c.CreatedAt), LastLogin: jsonTime(c.LastLoginAt)}
}

// AccountJSON is an account in Keepstar's JSON answers.
type AccountJSON struct {
	ID         int64           `json:"id"`
	Name       string          `json:"name"`
	Status     Status          `json:"status"`
	Active     bool            `json:"active"`
	Superuser  bool            `json:"superuser"`
	Roles      []string        `json:"roles"`
	Characters []CharacterJSON `json:"characters"`
}

func (p *pages) accountJSON(ctx context.Context, id int64) (AccountJSON, error) {
	acc, err := p.a.Get(ctx, id)
	if err != nil {
		return AccountJSON{}, err
	}
	cs, err := p.a.Characters(ctx, id)
	if err != nil {
		return AccountJSON{}, err
	}
	out := AccountJSON{ID: acc.ID, Name: acc.Name, Status: acc.Status, Active: acc.Active, Superuser: acc.Superuser,
		Roles: acc.Roles, Characters: []CharacterJSON{}}
	if out.Roles == nil {
		out.Roles = []string{}
	}
	for _, c := range cs {
		out.Characters = append(out.Characters, characterJSON(c))
	}
	return out, nil
}

// me answers GET /api/me: the logged-in member's account and characters.
func (p *pages) me(w http.ResponseWriter, r *http.Request) {
	out, err := p.accountJSON(r.Context(), web.ViewerFrom(r.Context()).AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, out)
}
