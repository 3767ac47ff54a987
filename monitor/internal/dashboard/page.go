package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets/index.html assets/app.js assets/style.css
var assets embed.FS

// csp allows only this handler's own script, style and JSON: the page
// builds its DOM with textContent and createElementNS, never from HTML
// strings, so nothing inline is needed.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type asset struct {
	body  []byte
	etag  string
	ctype string
}

var assetTable = func() map[string]asset {
	m := map[string]asset{}
	for name, ctype := range map[string]string{
		"app.js":    "text/javascript; charset=utf-8",
		"style.css": "text/css; charset=utf-8",
	} {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			panic("dashboard: embedded asset missing: " + name) // a build defect, not run-time input
		}
		m[name] = asset{body: b, etag: etagOf(b), ctype: ctype}
	}
	return m
}()

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

// renderPage fills the title into index.html; everything else the page
// shows comes from JSON at run time.
func renderPage(title string) ([]byte, error) {
	t, err := template.ParseFS(assets, "assets/index.html")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct {
		Title     string
		AssetHash string
	}{title, assetHash()}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// assetHash versions the asset URLs so that a new binary's page never
// runs with an old cached script.
func assetHash() string {
	js, css := assetTable["app.js"].body, assetTable["style.css"].body
	return strings.Trim(etagOf(append(append([]byte{}, js...), css...)), `"`)
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", h.etag)
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.page))
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := assetTable[path.Clean(r.PathValue("name"))]
	if !ok {
		http.NotFound(w, r)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
