package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// sizes are the values the size query parameter may take, as on
// images.evetech.net.
var sizes = [...]int{32, 64, 128, 256, 512, 1024}

// DefaultSize is the size of an image asked for without a size. The real
// server answers with the image's native resolution then; a placeholder has
// none, so it gets the size Keepstar's pages use most.
const DefaultSize = 64

// Server serves placeholder images of the simulated universe. It is safe for
// concurrent use; every answer reflects the universe at the time of the
// request (a renamed character's portrait shows its new initials).
type Server struct {
	u   *universe.Universe
	mux *http.ServeMux
}

var _ http.Handler = (*Server)(nil)

// New builds the image server over a universe.
func New(u *universe.Universe) *Server {
	s := &Server{u: u, mux: http.NewServeMux()}
	// A GET pattern also answers HEAD; other methods get 405 from the mux.
	s.mux.HandleFunc("GET /characters/{id}/portrait", s.serve(s.portrait))
	s.mux.HandleFunc("GET /corporations/{id}/logo", s.serve(s.corporationLogo))
	s.mux.HandleFunc("GET /alliances/{id}/logo", s.serve(s.allianceLogo))
	s.mux.HandleFunc("GET /types/{id}/icon", s.serve(s.typeImage))
	s.mux.HandleFunc("GET /types/{id}/render", s.serve(s.typeImage))
	return s
}

// ServeHTTP serves the image routes; paths are relative to the image
// server's root (the simulator strips its /images prefix).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// errNotFound means the id names nothing the universe knows.
var errNotFound = errors.New("images: no such entity")

// picture is what an image shows.
type picture struct {
	title string // the entity's name, for the SVG's title
	text  string // initials, ticker or type id
	fill  string // background colour, #rrggbb
}

// serve wraps a lookup into a handler: it checks the size, looks the id up
// and writes the SVG with its headers.
func (s *Server) serve(lookup func(id int32) (picture, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		size, err := parseSize(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 32)
		if err != nil || id <= 0 {
			http.NotFound(w, r)
			return
		}
		p, err := lookup(int32(id))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		body := render(p, size)
		sum := sha256.Sum256(body)
		h := w.Header()
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Cache-Control", "public, max-age=86400")
		h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
		// An SVG opened on its own is a document: let it run nothing.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		h.Set("X-Content-Type-Options", "nosniff")
		// ServeContent answers HEAD without a body and If-None-Match with 304.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	}
}

// parseSize reads the size query parameter: one of sizes, DefaultSize when
// absent.
func parseSize(r *http.Request) (int, error) {
	q := r.URL.Query()
	if !q.Has("size") {
		return DefaultSize, nil
	}
	raw := q.Get("size")
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, fmt.Errorf("size %q is not a number", raw)
	}
	for _, ok := range sizes {
		if n == ok {
			return n, nil
		}
	}
	return 0, fmt.Errorf("size %d is not one of 32, 64, 128, 256, 512, 1024", n)
}

func (s *Server) portrait(id int32) (picture, error) {
	c, err := s.u.Character(id)
	if err != nil {
		return picture{}, errNotFound
	}
	return picture{title: c.Name, text: initials(c.Name), fill: colour("character", id)}, nil
}

// corporationLogo draws player and NPC corporations, and factions, whose
// logos the real server keeps in the corporations category.
func (s *Server) corporationLogo(id int32) (picture, error) {
	if c, err := s.u.Corporation(id); err == nil {
		return picture{title: c.Name, text: tickerOr(c.Ticker, c.Name), fill: colour("corporation", id)}, nil
	}
	if f, ok := s.u.Faction(id); ok {
		return picture{title: f.Name, text: initials(f.Name), fill: colour("faction", id)}, nil
	}
	return picture{}, errNotFound
}

func (s *Server) allianceLogo(id int32) (picture, error) {
	a, err := s.u.Alliance(id)
	if err != nil {
		return picture{}, errNotFound
	}
	return picture{title: a.Name, text: tickerOr(a.Ticker, a.Name), fill: colour("alliance", id)}, nil
}

// typeImage draws any positive type id: the universe knows only the few
// ships its characters fly, and a page may show any type.
func (s *Server) typeImage(id int32) (picture, error) {
	title := "Type " + strconv.Itoa(int(id))
	if t, ok := universe.FindItemType(id); ok {
		title = t.Name
	}
	return picture{title: title, text: strconv.Itoa(int(id)), fill: "#6b6b6b"}, nil
}

// initials gives the upper-cased first letter of each word of a name, at
// most three ("Kari Toven" → "KT"); "?" for a name without words.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			out = append(out, unicode.ToUpper(r))
			break
		}
		if len(out) == 3 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

func tickerOr(ticker, name string) string {
	if t := strings.TrimSpace(ticker); t != "" {
		return t
	}
	return initials(name)
}

// colour derives a background from a kind and an id: a hue from a hash, at a
// saturation and lightness dark enough for white text.
func colour(kind string, id int32) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", kind, id)
	hue := float64(h.Sum32()%360) / 360
	r, g, b := hslToRGB(hue, 0.55, 0.38)
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}

// hslToRGB converts a colour with hue, saturation and lightness in [0, 1].
func hslToRGB(h, s, l float64) (r, g, b uint8) {
	q := l * (1 + s)
	if l >= 0.5 {
		q = l + s - l*s
	}
	p := 2*l - q
	channel := func(t float64) uint8 {
		t -= math.Floor(t)
		var v float64
		switch {
		case t < 1.0/6:
			v = p + (q-p)*6*t
		case t < 1.0/2:
			v = q
		case t < 2.0/3:
			v = p + (q-p)*(2.0/3-t)*6
		default:
			v = p
		}
		return uint8(math.Round(v * 255))
	}
	return channel(h + 1.0/3), channel(h), channel(h - 1.0/3)
}
