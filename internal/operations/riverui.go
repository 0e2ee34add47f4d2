package operations

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/web"
)

// withBackLink serves River UI with a link back to the operations page on
// its one HTML page (the single-page app's index.html, served for every
// path of the app): River UI has no place for an embedding site's links,
// so the link is written into the page before </body>, styled by
// keepstar-riverui.css. Everything else River UI serves (its scripts, its
// API's JSON) passes as it is.
func withBackLink(srv *web.Server, h http.Handler) http.Handler {
	css, err := srv.Asset("keepstar-riverui.css")
	if err != nil {
		panic(err) // the file is embedded; a test loads the page
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.Contains(r.Header.Get("Accept"), "text/html") {
			h.ServeHTTP(w, r)
			return
		}
		link := `<link rel="stylesheet" href="` + template.HTMLEscapeString(css) + `">` +
			`<a class="keepstar-back" id="back-to-keepstar" href="` + Path + `">` +
			template.HTMLEscapeString(srv.T(r, "operations.back_to_keepstar")) + `</a>`
		b := &htmlBuffer{ResponseWriter: w}
		h.ServeHTTP(b, r)
		b.finish([]byte(link))
	})
}

// htmlBuffer holds back an HTML answer, to add to it; any other answer is
// written through as it comes.
type htmlBuffer struct {
	http.ResponseWriter
	decided, html bool
	status        int
	body          bytes.Buffer
}

func (b *htmlBuffer) WriteHeader(status int) {
	if b.decided {
		return
	}
	b.decided, b.status = true, status
	b.html = status == http.StatusOK && strings.HasPrefix(b.Header().Get("Content-Type"), "text/html")
	if !b.html {
		b.ResponseWriter.WriteHeader(status)
	}
}

func (b *htmlBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	if b.html {
		return b.body.Write(p)
	}
	return b.ResponseWriter.Write(p)
}

// finish writes the held-back page with extra before its </body>.
func (b *htmlBuffer) finish(extra []byte) {
	if !b.html {
		return
	}
	page := b.body.Bytes()
	if i := bytes.LastIndex(page, []byte("</body>")); i >= 0 {
		page = append(page[:i:i], append(extra, page[i:]...)...)
	}
	b.Header().Set("Content-Length", strconv.Itoa(len(page)))
	b.ResponseWriter.WriteHeader(b.status)
	b.ResponseWriter.Write(page)
}
