package dashboard

import (
	"bytes"
	"html"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Badge colours. shields.io's brightgreen, yellow and lightgrey give its
// white 11px text a contrast of about 2:1; these darker shades keep the
// same hues at WCAG AA's 4.5:1 (TestStatusColoursMeetWCAGContrast).
const (
	colourPass    = "#1a7f37" // green
	colourWarn    = "#8a5c00" // amber
	colourFail    = "#cf222e" // red
	colourUnknown = "#636c76" // grey
	colourMaint   = "#0969da" // blue
)

// maxBadgeLabel keeps a badge readable; longer names are cut with "…".
const maxBadgeLabel = 40

// badgeText returns a component's badge message and colour. An override
// to fail reads "maintenance" because that is what an operator set it for.
func badgeText(c Component) (msg, colour string) {
	if c.Override != nil && c.Override.Status == StatusFail {
		return "maintenance", colourMaint
	}
	switch c.Status {
	case StatusPass:
		return "healthy", colourPass
	case StatusWarn:
		return "degraded", colourWarn
	case StatusFail:
		return "failing", colourFail
	}
	return "unknown", colourUnknown
}

// serveBadge answers /badge/<id>.svg with a shields-style flat badge built
// from the public snapshot.
func (h *Handler) serveBadge(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if !ok || id == "" {
		writeError(w, http.StatusNotFound, "badges are /badge/<component>.svg")
		return
	}
	s, _, err := h.public(r.Context())
	if err != nil {
		writeSVG(w, http.StatusServiceUnavailable, badgeSVG(id, "unavailable", colourUnknown))
		return
	}
	for _, g := range s.Groups {
		for _, c := range g.Components {
			if c.ID == id {
				msg, colour := badgeText(c)
				writeSVG(w, http.StatusOK, badgeSVG(c.Name, msg, colour))
				return
			}
		}
	}
	writeSVG(w, http.StatusNotFound, badgeSVG(id, "not found", colourUnknown))
}

func writeSVG(w http.ResponseWriter, code int, svg []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", "image/svg+xml; charset=utf-8")
	// Badges are embedded in READMEs and wallboards: revalidate every time
	// (GitHub's image proxy honours this), and never run anything.
	hdr.Set("Cache-Control", "no-cache, max-age=0")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(svg)
}

// badgeSVG draws a flat badge: grey label, coloured message. Text is
// escaped; widths are estimated from Verdana 11px and enforced with
// textLength so that any font renders inside the box.
func badgeSVG(label, msg, colour string) []byte {
	if utf8.RuneCountInString(label) > maxBadgeLabel {
		r := []rune(label)
		label = string(r[:maxBadgeLabel-1]) + "…"
	}
	lw := textWidth(label) + 10
	mw := textWidth(msg) + 10
	total := lw + mw
	el, em := html.EscapeString(label), html.EscapeString(msg)
	itoa := strconv.Itoa
	var b bytes.Buffer
	b.Grow(1024)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="` + itoa(total) + `" height="20" role="img" aria-label="` + el + `: ` + em + `">`)
	b.WriteString(`<title>` + el + `: ` + em + `</title>`)
	b.WriteString(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	b.WriteString(`<clipPath id="r"><rect width="` + itoa(total) + `" height="20" rx="3" fill="#fff"/></clipPath>`)
	b.WriteString(`<g clip-path="url(#r)"><rect width="` + itoa(lw) + `" height="20" fill="#555"/>`)
	b.WriteString(`<rect x="` + itoa(lw) + `" width="` + itoa(mw) + `" height="20" fill="` + colour + `"/>`)
	b.WriteString(`<rect width="` + itoa(total) + `" height="20" fill="url(#s)"/></g>`)
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`)
	text := func(x, w int, s string) {
		b.WriteString(`<text x="` + itoa(x) + `" y="15" fill="#010101" fill-opacity=".3" textLength="` + itoa(w-10) + `" lengthAdjust="spacingAndGlyphs">` + s + `</text>`)
		b.WriteString(`<text x="` + itoa(x) + `" y="14" textLength="` + itoa(w-10) + `" lengthAdjust="spacingAndGlyphs">` + s + `</text>`)
	}
	text(lw/2, lw, el)
	text(lw+mw/2, mw, em)
	b.WriteString(`</g></svg>`)
	return b.Bytes()
}

// textWidth estimates the width in pixels of s in Verdana 11px.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("iljI.,:;'|!()[] ", r):
			w += 3.9
		case strings.ContainsRune("frt-/", r):
			w += 4.9
		case strings.ContainsRune("mwMW@%", r):
			w += 10.5
		case r >= 'A' && r <= 'Z':
			w += 7.5
		default:
			w += 6.8
		}
	}
	return int(w + 0.5)
}
