package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"

	"github.com/keepstar/keepstar/internal/settings"
)

// The site's own name, texts, logo and look, set on the settings page.
var (
	SettingSiteName = settings.Definition{Name: "site.name", Section: "web.settings.section.site", Kind: settings.KindText,
		Default: "Keepstar", MaxLen: 100, Label: "web.settings.site.name", Help: "web.settings.site.name_help"}
	SettingLogo = settings.Definition{Name: "site.logo", Section: "web.settings.section.site", Kind: settings.KindImage,
		MaxLen: 512 << 10, Label: "web.settings.site.logo", Help: "web.settings.site.logo_help"}
	SettingHomeText = settings.Definition{Name: "site.home_text", Section: "web.settings.section.site", Kind: settings.KindLong,
		MaxLen: 20000, Label: "web.settings.site.home_text", Help: "web.settings.site.home_text_help"}
	SettingFooterText = settings.Definition{Name: "site.footer_text", Section: "web.settings.section.site", Kind: settings.KindText,
		MaxLen: 300, Label: "web.settings.site.footer_text", Help: "web.settings.site.footer_text_help"}
	SettingDefaultTheme = settings.Definition{Name: "site.default_theme", Section: "web.settings.section.site", Kind: settings.KindEnum,
		Default: "light", Choices: ThemeIDs(), ChoiceLabels: ThemeLabels(), Label: "web.settings.site.default_theme", Help: "web.settings.site.default_theme_help"}
)

// SiteSettings are the definitions this package reads; siteName is the
// start-up configuration's name, the default until one is set.
func SiteSettings(siteName string) []settings.Definition {
	return []settings.Definition{SettingSiteName.WithDefault(siteName), SettingLogo, SettingHomeText, SettingFooterText, SettingDefaultTheme}
}

// Site is what every page shows of the site's own texts.
type Site struct {
	Name    string
	LogoURL string // empty when no logo is set
	Footer  string
	// HomeText is the Markdown of the home page; empty for the built-in.
	HomeText string
	Theme    string
}

// siteOf reads the site's texts from a settings snapshot.
func siteOf(v settings.Values) Site {
	s := Site{Name: v.String(SettingSiteName), Footer: v.String(SettingFooterText), HomeText: v.String(SettingHomeText),
		Theme: v.String(SettingDefaultTheme)}
	if logo := v.String(SettingLogo); logo != "" {
		sum := sha256.Sum256([]byte(logo))
		s.LogoURL = "/site/logo?v=" + hex.EncodeToString(sum[:4])
	}
	return s
}

// logo serves the uploaded logo. Its URL carries a hash of the picture, so it
// is cached for good and a new upload shows at once.
func (s *Server) logo(w http.ResponseWriter, r *http.Request) {
	v, err := s.deps.Settings.Values(r.Context())
	if err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "read settings", "error", err)
		http.Error(w, "settings unavailable", http.StatusServiceUnavailable)
		return
	}
	ct, b, ok := settings.DecodeImage(v.String(SettingLogo))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}

// markdown renders texts administrators write. goldmark leaves raw HTML out
// and bluemonday strips anything unsafe that links could still carry
// (javascript: URLs), so an administrator's text cannot script members'
// browsers. Rendered texts are kept: the same text is rendered once.
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	mu     sync.Mutex
	cache  map[string]template.HTML
}

func newMarkdown() *markdown {
	return &markdown{md: goldmark.New(), policy: bluemonday.UGCPolicy(), cache: map[string]template.HTML{}}
}

// Render gives the safe HTML of a Markdown text.
func (m *markdown) Render(src string) template.HTML {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h, ok := m.cache[src]; ok {
		return h
	}
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		// goldmark fails only on a writer error; a bytes.Buffer has none.
		return template.HTML(template.HTMLEscapeString(src))
	}
	h := template.HTML(m.policy.SanitizeBytes(buf.Bytes()))
	if len(m.cache) > 100 {
		clear(m.cache) // texts change rarely; never let old ones pile up
	}
	m.cache[src] = h
	return h
}

// Markdown renders an administrator's Markdown text to safe HTML.
func (s *Server) Markdown(src string) template.HTML { return s.markdown.Render(src) }
