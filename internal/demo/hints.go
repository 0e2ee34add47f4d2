package demo

import (
	"embed"
	"net/http"

	"github.com/keepstar/keepstar/internal/web"
)

// Locales holds the package's messages (the demo's hints), one
// locales/<tag>.toml per language; internal/app gives it to i18n.Load with
// the other packages'.
//
//go:embed locales/*.toml
var Locales embed.FS

// Hints gives the guide's notes on the first pages a visitor opens (the
// home page, the dashboard, the states, the groups, the services, member
// tracking, the watchlists and EVE mail), shown as
// dismissible messages above the page: what the demo mapped, and which
// character to log in with to see it work.
func (g Guide) Hints(r *http.Request) []web.Hint {
	v := web.ViewerFrom(r.Context())
	var hs []web.Hint
	add := func(message string, args ...any) {
		hs = append(hs, web.Hint{Kind: "info", Message: message, Args: args})
	}
	blue := func() {
		if g.Blue != "" && g.BlueMember != "" {
			add("demo.hint.blue", "Blue", g.Blue, "Character", g.BlueMember)
		}
	}
	switch r.URL.Path {
	case "/":
		if v == nil {
			add("demo.hint.home", "Alliance", g.Alliance, "Character", g.Member)
		}
	case "/dashboard":
		add("demo.hint.dashboard", "Alliance", g.Alliance, "Character", g.Member)
		blue()
	case "/admin/states":
		if v != nil && v.Superuser {
			add("demo.hint.states", "Alliance", g.Alliance)
			blue()
		}
	case "/services":
		if g.TeamSpeakPage != "" {
			add("demo.hint.teamspeak", "Page", g.TeamSpeakPage)
		}
		if g.DiscoursePage != "" {
			add("demo.hint.discourse", "Page", g.DiscoursePage)
		}
		if g.XenForoPage != "" {
			add("demo.hint.xenforo", "Page", g.XenForoPage)
		}
		if g.OpenfirePage != "" {
			add("demo.hint.openfire", "Page", g.OpenfirePage)
		}
	case "/tracking":
		if g.Director != "" {
			add("demo.hint.tracking", "Corporation", g.Corporation, "Director", g.Director, "Group", g.CorpGroup, "Days", inactiveHintDays)
		}
	case "/watchlists":
		if g.Watchlist != "" {
			add("demo.hint.watchlists", "List", g.Watchlist, "Watched", g.Watched, "Group", GroupRestricted)
		}
	case "/admin/evemail":
		if g.MailSender != "" {
			add("demo.hint.evemail", "Sender", g.MailSender, "Page", g.MailsPage)
		}
	case "/groups":
		add("demo.hint.groups", "Open", GroupOpen, "Request", GroupRequest, "Corp", g.CorpGroup, "Corporation", g.Corporation,
			"Restricted", GroupRestricted)
	}
	return hs
}

// inactiveHintDays is the "inactive for" filter the tracking hint suggests:
// the members the seed has play today are active, the rest last logged on
// when the simulator made them, long before.
const inactiveHintDays = 30
