package web

import (
	"net/http"
	"net/url"
)

// contentSecurityPolicy allows only the site's own scripts, styles and
// frames; images may also come from the EVE image server (portraits, logos:
// CCP's, or the simulator's). frame-ancestors 'none' stops the site from
// being framed (clickjacking). form-action also allows the EVE SSO: nothing
// posts there, but a redirect after a form post is checked against it.
// styles are the sources of styles: "'self'" but for InlineStyles.
func contentSecurityPolicy(images *url.URL, styles string) string {
	return "default-src 'self'; script-src 'self'; style-src " + styles + "; " +
		"img-src 'self' data: " + images.Scheme + "://" + images.Host + "; font-src 'self'; connect-src 'self'; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// secureHeaders sets the browser protections on every response. Their
// values are copied into one array per request, each header's value a
// slice of it of capacity one, as Header.Clone does: set one by one, they
// were six allocations on every request (docs/performance.md), and shared
// between responses, a handler writing into a value would change the
// next responses' (TestSecurityHeadersAreNotChangedByAResponse).
func secureHeaders(csp string, https bool, next http.Handler) http.Handler {
	names := []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
		"Cross-Origin-Opener-Policy", "Permissions-Policy"}
	values := []string{csp, "nosniff", "DENY", "strict-origin-when-cross-origin", "same-origin",
		"camera=(), microphone=(), geolocation=(), payment=()"}
	if https {
		names = append(names, "Strict-Transport-Security")
		values = append(values, "max-age=63072000")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		own := append([]string(nil), values...)
		for i, name := range names {
			h[name] = own[i : i+1 : i+1] // names written canonical, as Set would
		}
		next.ServeHTTP(w, r)
	})
}

// InlineStyles serves h under the site's policy with inline styles allowed
// (style-src 'self' 'unsafe-inline'), and nothing else relaxed: for River
// UI, a single-page app Keepstar does not write, whose toasts' CSS-in-JS
// (goober) writes its rules into a <style id="_goober"> element as it goes,
// which the strict policy blocks at every change. Scripts stay the site's
// own files only, so an injection still runs no code.
func (s *Server) InlineStyles(h http.Handler) http.Handler {
	csp := contentSecurityPolicy(s.deps.Config.EVEImagesURL, "'self' 'unsafe-inline'")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		h.ServeHTTP(w, r)
	})
}
