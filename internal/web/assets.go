package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// assets serves the embedded static files. Each URL carries the file's
// content hash (/static/style.css?v=ab12cd34), so browsers may cache a file
// for good and still fetch a new version the moment it changes.
type assets struct {
	files  map[string][]byte
	hashes map[string]string
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string][]byte{}, hashes: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		a.files[name] = b
		a.hashes[name] = hex.EncodeToString(sum[:4])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	return a, nil
}

// url gives the versioned URL of an asset; an unknown name is a programming
// error caught by the page tests.
func (a *assets) url(name string) (string, error) {
	h, ok := a.hashes[name]
	if !ok {
		return "", fmt.Errorf("web: no asset %q", name)
	}
	return "/static/" + name + "?v=" + h, nil
}

func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if r.URL.Query().Get("v") == a.hashes[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+a.hashes[name]+`"`)
	http.ServeContent(w, r, name, time.Time{}, strings.NewReader(string(b)))
}
