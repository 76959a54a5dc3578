package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy lets the pages load only the console's own
// scripts, styles and API: no inline script, nothing from elsewhere, no
// framing.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	contentType string
	etag        string
	raw, gzip   []byte
}

// assets are the embedded files by path below static/ ("index.html",
// "js/app.js" …).
type assets struct {
	files map[string]*asset
}

// loadAssets reads the embedded files and compresses each once.
func loadAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		if _, err := zw.Write(raw); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		if strings.HasSuffix(p, ".js") {
			ct = "text/javascript; charset=utf-8" // some systems' mime tables lack .js
		}
		a.files[strings.TrimPrefix(p, "static/")] = &asset{
			contentType: ct,
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
			raw:         raw,
			gzip:        gz.Bytes(),
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: embedded assets: %w", err)
	}
	if a.files["index.html"] == nil {
		return nil, fmt.Errorf("ui: embedded assets: no index.html")
	}
	return a, nil
}

// paths returns the URL path of every embedded file, the page first.
func (a *assets) paths() []string {
	out := []string{Prefix}
	for p := range a.files {
		if p != "index.html" {
			out = append(out, Prefix+"/"+p)
		}
	}
	return out
}

// serve answers GET /ui (the page) and GET /ui/<file>: gzipped when the
// client accepts it, 304 when its copy is current. Browsers revalidate on
// every load (no-cache), so a new binary's files are picked up at once,
// at the cost of one small request per file.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := r.PathValue("path")
	if name == "" {
		name = "index.html"
	}
	f := a.files[name]
	if f == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	h.Set("Vary", "Accept-Encoding")
	if name == "index.html" {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.raw
	if acceptsGzip(r) {
		body = f.gzip
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (listed, and not with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		if k, v, ok := strings.Cut(params, "="); ok && strings.TrimSpace(k) == "q" {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}
