package dashboard

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// luminance is the WCAG 2 relative luminance of a #rrggbb colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// cssThemes returns the custom properties of the light :root block and of
// the prefers-color-scheme: dark block of style.css.
func cssThemes(t *testing.T) (light, dark map[string]string) {
	t.Helper()
	b, err := os.ReadFile("assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	vars := func(block string) map[string]string {
		m := map[string]string{}
		for _, v := range regexp.MustCompile(`(--[a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;`).FindAllStringSubmatch(block, -1) {
			m[v[1]] = strings.ToLower(v[2])
		}
		return m
	}
	i := strings.Index(css, ":root {")
	j := strings.Index(css, "@media (prefers-color-scheme: dark)")
	if i < 0 || j < i {
		t.Fatal("style.css lost its :root or dark-theme block")
	}
	end := strings.Index(css[j:], "\n}\n")
	if end < 0 {
		t.Fatal("dark-theme block not closed")
	}
	return vars(css[i:j]), vars(css[j : j+end])
}

// TestStatusColoursMeetWCAGContrast: every status colour is readable as
// text on the page and behind the pill text in both themes, and the
// badges' white text is readable on every badge colour (WCAG 2 AA, 4.5:1
// for normal-size text). The status is also always spelled out (pill and
// badge text, data-status), so colour is never the only signal.
func TestStatusColoursMeetWCAGContrast(t *testing.T) {
	const aa = 4.5
	light, dark := cssThemes(t)
	for name, theme := range map[string]map[string]string{"light": light, "dark": dark} {
		for _, status := range []string{"--pass", "--warn", "--fail", "--unknown", "--maint"} {
			fg, ok := theme[status]
			if !ok {
				t.Fatalf("%s theme has no %s", name, status)
			}
			for _, bg := range []string{"--panel", "--bg", "--on-status"} {
				other, ok := theme[bg]
				if !ok {
					t.Fatalf("%s theme has no %s", name, bg)
				}
				if c := contrast(t, fg, other); c < aa {
					t.Errorf("%s theme: %s %s against %s %s: contrast %.2f:1, want ≥ %.1f:1", name, status, fg, bg, other, c, aa)
				}
			}
		}
	}
	for _, c := range []string{colourPass, colourWarn, colourFail, colourUnknown, colourMaint} {
		if r := contrast(t, "#ffffff", c); r < aa {
			t.Errorf("badge colour %s under white text: contrast %.2f:1, want ≥ %.1f:1", c, r, aa)
		}
	}
	// The stylesheet must not paint pill text a fixed white again.
	b, _ := os.ReadFile("assets/style.css")
	pill := regexp.MustCompile(`(?s)\.pill \{[^}]*\}`).FindString(string(b))
	if !strings.Contains(pill, "color: var(--on-status)") {
		t.Errorf(".pill text colour is not var(--on-status): %s", pill)
	}
}
