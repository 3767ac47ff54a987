package dashboard

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed parses svg as XML: an unescaped name would break it.
func wellFormed(t *testing.T, svg []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("badge is not well-formed XML: %v\n%s", err, svg)
		}
	}
}

func TestBadge(t *testing.T) {
	hostile := `<script>alert("x")</script>&'`
	src := SourceFunc(func(context.Context, bool) (Snapshot, error) {
		return Snapshot{Groups: []Group{{Name: "g", Components: []Component{
			{ID: "ok", Name: "postgres", Status: StatusPass},
			{ID: "slow", Name: "stripe", Status: StatusWarn},
			{ID: "down", Name: "evolution", Status: StatusFail},
			{ID: "new", Name: "sumsub", Status: StatusUnknown},
			{ID: "maint", Name: "adyen", Status: StatusPass, Override: &Override{Status: StatusFail, Reason: "secret reason"}},
			{ID: "evil", Name: hostile, Status: StatusPass},
			{ID: "long", Name: strings.Repeat("x", 100), Status: StatusPass},
		}}}}, nil
	})
	h := mustNew(t, src)
	tests := []struct {
		id, name, msg, colour string
	}{
		{"ok", "postgres", "healthy", colourPass},
		{"slow", "stripe", "degraded", colourWarn},
		{"down", "evolution", "failing", colourFail},
		{"new", "sumsub", "unknown", colourUnknown},
		{"maint", "adyen", "maintenance", colourMaint},
		{"evil", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;", "healthy", colourPass},
		{"long", strings.Repeat("x", maxBadgeLabel-1) + "…", "healthy", colourPass},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			rec := do(h, "GET", "/badge/"+tt.id+".svg", "")
			body := rec.Body.String()
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml; charset=utf-8" {
				t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			wellFormed(t, rec.Body.Bytes())
			for _, want := range []string{">" + tt.name + "<", ">" + tt.msg + "<", `fill="` + tt.colour + `"`, `aria-label="` + tt.name + ": " + tt.msg + `"`} {
				if !strings.Contains(body, want) {
					t.Errorf("badge lacks %s:\n%s", want, body)
				}
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "secret reason") {
				t.Errorf("badge leaks markup or details:\n%s", body)
			}
			if !strings.Contains(rec.Header().Get("Cache-Control"), "no-cache") {
				t.Error("badges must be revalidated")
			}
		})
	}

	rec := do(h, "GET", "/badge/%3Cb%3E.svg", "")
	if rec.Code != 404 || strings.Contains(rec.Body.String(), "<b>") {
		t.Fatalf("unknown badge: %d %s", rec.Code, rec.Body)
	}
	wellFormed(t, rec.Body.Bytes())
}

func TestBadgeWidthGrowsWithText(t *testing.T) {
	if textWidth("iii") >= textWidth("mmm") || textWidth("") != 0 {
		t.Fatal("width estimate ignores glyph widths")
	}
}
