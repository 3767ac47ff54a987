package dashboard

import (
	"errors"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzActionParsers feeds one body to every action parser: none may
// panic, every refusal must wrap ErrInvalid, and whatever is accepted
// must satisfy the rules the parsers promise.
func FuzzActionParsers(f *testing.F) {
	for _, s := range []string{
		silenceJSON, overrideJSON, `{"id":"sil-1"}`, `{"component":"stripe","reason":"done"}`,
		`{"matchers":[{"name":"a","op":"=~","value":"(a|b)+"}],"duration":"30m","comment":"c"}`,
		`{"matchers":null}`, `[]`, `null`, `{"id":"\u0000"}`, `{"component":"x","status":"pass","reason":"r"} {}`,
		"", "{", `{"duration":"-1h"}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		if req, err := parseSilence(body, now); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("parseSilence: %v does not wrap ErrInvalid", err)
			}
		} else {
			if d := req.EndsAt.Sub(req.StartsAt); d < MinSilence || d > MaxSilence {
				t.Fatalf("accepted duration %v", d)
			}
			if len(req.Matchers) == 0 || req.Comment == "" || !utf8.ValidString(req.Comment) {
				t.Fatalf("accepted %+v", req)
			}
			for _, m := range req.Matchers {
				if m.Op == "=~" || m.Op == "!~" {
					if _, err := regexp.Compile(m.Value); err != nil {
						t.Fatalf("accepted bad regexp %q", m.Value)
					}
				}
			}
		}
		if id, err := parseSilenceID(body); err == nil && (id == "" || len(id) > maxIDLen) {
			t.Fatalf("accepted id %q", id)
		} else if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
		if o, err := parseOverride(body); err == nil && (o.Component == "" || o.Reason == "" || (o.Status != StatusFail && o.Status != StatusPass)) {
			t.Fatalf("accepted override %+v", o)
		} else if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
		if c, err := parseClearOverride(body); err == nil && (c.Component == "" || c.Reason == "") {
			t.Fatalf("accepted clear %+v", c)
		} else if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
	})
}
