package alerting

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/constant"
	goparser "go/parser"
	"go/token"
	"go/types"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func goodSilence(t *testing.T, now time.Time) Silence {
	return Silence{Matchers: mustMatchers(t, `team="payments"`), StartsAt: now, EndsAt: now.Add(time.Hour),
		CreatedBy: "ana", Comment: "PSP maintenance"}
}

// Text that the dashboard refuses to take is refused by Silences.Add too,
// whichever way it comes, naming the field.
func TestSilenceTextRefused(t *testing.T) {
	ss := newSilences(nil)
	now := time.Now()
	long := func(n int) string { return strings.Repeat("é", n/2) + strings.Repeat("x", n%2) } // n bytes
	matcher := func(name, value string) Matchers {
		m, err := NewMatcher(MatchEqual, name, value)
		if err != nil {
			t.Fatal(err)
		}
		return Matchers{m}
	}
	for _, c := range []struct {
		field string
		set   func(*Silence)
	}{
		{"comment", func(s *Silence) { s.Comment = long(maxSilenceCommentLen + 1) }},
		{"comment", func(s *Silence) { s.Comment = "PSP \xff maintenance" }},
		{"comment", func(s *Silence) { s.Comment = "forged\nlog line" }},
		{"comment", func(s *Silence) { s.Comment = "bell \a" }},
		{"comment", func(s *Silence) { s.Comment = "DEL \x7f" }},
		{"comment", func(s *Silence) { s.Comment = "C1 \u0085" }},
		{"createdBy", func(s *Silence) { s.CreatedBy = long(maxSilenceAuthorLen + 1) }},
		{"createdBy", func(s *Silence) { s.CreatedBy = "ana\x00" }},
		{"createdBy", func(s *Silence) { s.CreatedBy = "\xc3" }},
		{"matchers[0].name", func(s *Silence) { s.Matchers = matcher(long(maxSilenceMatcherNameLen+1), "x") }},
		{"matchers[0].name", func(s *Silence) { s.Matchers = matcher("te\tam", "x") }},
		{"matchers[0].value", func(s *Silence) { s.Matchers = matcher("team", long(maxSilenceMatcherValueLen+1)) }},
		{"matchers[0].value", func(s *Silence) { s.Matchers = matcher("team", "pay\x1bments") }},
		{"matchers[0].value", func(s *Silence) { s.Matchers = matcher("team", "\xed\xa0\x80") }}, // a surrogate in UTF-8
		{"matchers", func(s *Silence) {
			for range maxSilenceMatchers {
				s.Matchers = append(s.Matchers, matcher("team", "x")...)
			}
		}},
	} {
		s := goodSilence(t, now)
		c.set(&s)
		_, err := ss.Add(s)
		if !errors.Is(err, ErrInvalidSilence) || !strings.Contains(err.Error(), ": "+c.field+": ") {
			t.Errorf("%s: Add = %v, want ErrInvalidSilence naming %s", c.field, err, c.field)
		}
	}
	if n := len(ss.List()); n != 0 {
		t.Fatalf("%d silences stored", n)
	}
	// At the limits, in multi-byte text, is fine; so is a U+FFFD typed
	// on purpose.
	s := goodSilence(t, now)
	s.Comment, s.CreatedBy = long(maxSilenceCommentLen)+"", long(maxSilenceAuthorLen)
	s.Matchers = matcher(long(maxSilenceMatcherNameLen), long(maxSilenceMatcherValueLen-3)+"\uFFFD")
	for len(s.Matchers) < maxSilenceMatchers {
		s.Matchers = append(s.Matchers, s.Matchers[0])
	}
	id, err := ss.Add(s)
	if err != nil {
		t.Fatal(err)
	}
	// Who expires a silence is checked the same way.
	if err := ss.Expire(id, "bob\r\n"); !errors.Is(err, ErrInvalidSilence) || !strings.Contains(err.Error(), "by") {
		t.Errorf("Expire with a control character: %v", err)
	}
	if err := ss.Expire(id, long(maxSilenceAuthorLen+1)); !errors.Is(err, ErrInvalidSilence) {
		t.Errorf("Expire with a long name: %v", err)
	}
	if err := ss.Expire(id, "bob"); err != nil {
		t.Fatal(err)
	}
}

// Every write endpoint of the alerts API refuses bad text with a 400 that
// names the field, including what the JSON decoder would silently turn
// into U+FFFD: invalid UTF-8 bytes and escaped lone surrogates.
func TestSilenceWriteEndpointsRefuseBadText(t *testing.T) {
	e := newAMEnv(t)
	now := e.m.clk.Now()
	native := func(matcher, by, comment string) string {
		return `{"matchers":["` + matcher + `"],"duration":"1h","createdBy":"` + by + `","comment":"` + comment + `"}`
	}
	am := func(value, by, comment string) string {
		return `{"matchers":[{"name":"team","value":"` + value + `","isRegex":false}],"startsAt":"` + now.Format(time.RFC3339) +
			`","endsAt":"` + now.Add(time.Hour).Format(time.RFC3339) + `","createdBy":"` + by + `","comment":"` + comment + `"}`
	}
	for _, c := range []struct {
		name, path, body, field string
	}{
		{"raw invalid UTF-8", "/silences", native(`team=payments`, "ana", "PSP \xff maintenance"), "comment"},
		{"escaped control character", "/silences", native(`team=payments`, `ana\u0007`, "x"), "createdBy"},
		{"escaped lone surrogate", "/silences", native(`team=\"\ud800\"`, "ana", "x"), "matchers[0]"},
		{"escaped newline", "/silences", native(`team=payments`, "ana", `line\nforged`), "comment"},
		{"long comment", "/silences", native(`team=payments`, "ana", strings.Repeat("x", 1025)), "comment"},
		{"AM raw invalid UTF-8", "/api/v2/silences", am("pay\xc3ments", "ana", "x"), "matchers[0].value"},
		{"AM escaped lone surrogate", "/api/v2/silences", am("payments", "ana", `\udc00`), "comment"},
		{"AM escaped escape", "/api/v2/silences", am("payments", `ana\u001b[31m`, "x"), "createdBy"},
		{"AM long value", "/api/v2/silences", am(strings.Repeat("v", 257), "ana", "x"), "matchers[0].value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, b := e.do("POST", c.path, c.body, opsToken)
			msg := string(b)
			if strings.HasPrefix(c.path, "/api/v2") {
				json.Unmarshal(b, &msg)
			} else {
				var m map[string]string
				json.Unmarshal(b, &m)
				msg = m["error"]
			}
			if code != http.StatusBadRequest || !strings.Contains(msg, c.field+": ") {
				t.Errorf("%d %s, want 400 naming %s", code, b, c.field)
			}
		})
	}
	if n := len(e.d.Silences().List()); n != 0 {
		t.Fatalf("%d silences stored from bad requests", n)
	}
	// A U+FFFD sent on purpose, raw or escaped, is text like any other.
	for _, body := range []string{native(`team=payments`, "ana", "\uFFFD"), am("payments", "ana", `\uFFFD and \ufffd`)} {
		path := "/silences"
		if strings.Contains(body, "startsAt") {
			path = "/api/v2/silences"
		}
		if code, b := e.do("POST", path, body, opsToken); code >= 300 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
	}
	id := e.d.Silences().List()[0].ID
	for _, c := range []struct{ path, query string }{
		{"/silences/" + id, "?by=bob%FF"},
		{"/silences/" + id, "?by=bob%0Aforged"},
		{"/api/v2/silence/" + id, "?by=%1B"},
	} {
		if code, b := e.do("DELETE", c.path+c.query, "", opsToken); code != http.StatusBadRequest || !strings.Contains(string(b), "by: ") {
			t.Errorf("DELETE %s%s: %d %s, want 400 naming by", c.path, c.query, code, b)
		}
	}
	for _, s := range e.d.Silences().List() {
		if s.ExpiredBy != "" {
			t.Errorf("silence expired by %q", s.ExpiredBy)
		}
	}
}

// The limits are the dashboard's (monitor/internal/dashboard cannot import this
// package): this reads its constants from the source.
func TestSilenceLimitsMatchDashboard(t *testing.T) {
	fset := token.NewFileSet()
	f, err := goparser.ParseFile(fset, "../monitor/internal/dashboard/actions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]int64{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				tv, err := types.Eval(fset, nil, token.NoPos, types.ExprString(vs.Values[i]))
				if err == nil && tv.Value != nil {
					if v, ok := constantInt(tv); ok {
						consts[name.Name] = v
					}
				}
			}
		}
	}
	for dash, ours := range map[string]int64{
		"maxTextLen":  maxSilenceCommentLen,
		"maxIDLen":    maxSilenceAuthorLen, // the dashboard's author and label name limit
		"maxValueLen": maxSilenceMatcherValueLen,
		"maxMatchers": maxSilenceMatchers,
	} {
		if got, ok := consts[dash]; !ok || got != ours {
			t.Errorf("dashboard %s = %d (found: %v), alerting's = %d", dash, got, ok, ours)
		}
	}
	if maxSilenceMatcherNameLen != maxSilenceAuthorLen {
		t.Errorf("the dashboard limits label names to maxIDLen too")
	}
}

func constantInt(tv types.TypeAndValue) (int64, bool) {
	if tv.Value.Kind() != constant.Int {
		return 0, false
	}
	return constant.Int64Val(tv.Value)
}

// FuzzSilenceBodyText: a body the write check lets through decodes to
// text with no U+FFFD the sender did not write.
func FuzzSilenceBodyText(f *testing.F) {
	for _, s := range []string{`{"comment":"x\ud800"}`, "{\"a\":[\"\xff\"]}", `{"a":"\\ud800"}`, `{"a":"\ufffd"}`, "{\"\xfe\":1}", `[1,{"b":["c","\udfff"]}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		field, bad := badTextField(body)
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		var found bool
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				found = found || strings.ContainsRune(v, utf8.RuneError)
			case []any:
				for _, x := range v {
					walk(x)
				}
			case map[string]any:
				for k, x := range v {
					walk(k)
					walk(x)
				}
			}
		}
		walk(v)
		spelled := strings.Contains(strings.ToLower(string(body)), `\ufffd`) || strings.ContainsRune(string(body), utf8.RuneError) && utf8.Valid(body)
		if found && !spelled && !bad {
			t.Fatalf("%q decodes to U+FFFD but was let through", body)
		}
		if !found && bad {
			t.Fatalf("%q refused (%s) but decodes without U+FFFD", body, field)
		}
	})
}
