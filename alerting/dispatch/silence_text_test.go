package dispatch

import (
	"errors"
	"go/ast"
	"go/constant"
	goparser "go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
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
	matcher := func(name, value string) alerting.Matchers {
		m, err := alerting.NewMatcher(alerting.MatchEqual, name, value)
		if err != nil {
			t.Fatal(err)
		}
		return alerting.Matchers{m}
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

// The limits are the dashboard's (monitor/internal/dashboard cannot import this
// package): this reads its constants from the source.
func TestSilenceLimitsMatchDashboard(t *testing.T) {
	fset := token.NewFileSet()
	f, err := goparser.ParseFile(fset, "../../monitor/internal/dashboard/actions.go", nil, 0)
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
