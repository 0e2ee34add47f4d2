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
func contentSecurityPolicy(images *url.URL) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data: " + images.Scheme + "://" + images.Host + "; font-src 'self'; connect-src 'self'; " +
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
}

// secureHeaders sets the browser protections on every response.
func secureHeaders(csp string, https bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if https {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}
