package web

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// WriteReason answers status with an empty body and phrase as the reason
// phrase of the status line ("HTTP/1.1 404 Character not found."), which
// is how Neucore's Application API tells its errors and what its clients
// read. Go's server always writes the standard phrase, so the connection is
// taken over to write the answer by hand, then closed. Over HTTP/2, which
// has no reason phrases, or when the connection cannot be taken over, the
// standard phrase is written. The phrase also goes in the header
// ReasonHeader, which HTTP/2 and reverse proxies keep where they drop the
// phrase (docs/apps.md).
func WriteReason(w http.ResponseWriter, status int, phrase string) {
	phrase = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1 // never let a phrase break the status line
		}
		return r
	}, phrase)
	if phrase == "" || phrase == http.StatusText(status) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	w.Header().Set(ReasonHeader, phrase)
	// The recorder of the observing middleware learns the status before
	// the connection leaves the server's hands.
	for u := w; u != nil; {
		if rec, ok := u.(*statusRecorder); ok && rec.status == 0 {
			rec.status = status
			break
		}
		unwrapper, ok := u.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		u = unwrapper.Unwrap()
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	writeRawResponse(rw.Writer, status, phrase, w.Header())
}

// ReasonHeader carries the phrase of WriteReason's answers, for clients
// that cannot read the status line's (HTTP/2 has none; Caddy and other
// proxies built on Go's server write the standard one).
const ReasonHeader = "X-Keepstar-Reason"

func writeRawResponse(b *bufio.Writer, status int, phrase string, h http.Header) {
	fmt.Fprintf(b, "HTTP/1.1 %03d %s\r\n", status, phrase)
	h = h.Clone()
	h.Set("Content-Length", "0")
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	_ = h.Write(b)
	b.WriteString("\r\n")
	_ = b.Flush()
}
