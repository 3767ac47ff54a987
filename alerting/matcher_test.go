package alerting

import (
	"errors"
	"testing"
)

func TestParseMatchersAlertmanagerSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want string // String() of the result; "" for an error
	}{
		{`alertname="DatabaseDown"`, `{alertname="DatabaseDown"}`},
		{`alertname=DatabaseDown`, `{alertname="DatabaseDown"}`}, // amtool style
		{`{team=~payments|kyc, severity!=ticket}`, `{team=~"payments|kyc", severity!="ticket"}`},
		{` team = payments `, `{team="payments"}`},
		{`"igmon.check.name"="postgres"`, `{igmon.check.name="postgres"}`},
		{`"team name"!~"a.*"`, `{"team name"!~"a.*"}`},
		{`db=""`, `{db=""}`},
		{`db=`, ""},
		{`db=a"b`, ""},
		{`db="open`, ""},
		{`=x`, ""},
		{`a=~"("`, ""},
		{`a=b c`, `{a="b c"}`},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, errSyntax) {
				t.Errorf("ParseMatchers(%q) = %v, %v; want a syntax error", tt.in, ms, err)
			}
			continue
		}
		if err != nil || ms.String() != tt.want {
			t.Errorf("ParseMatchers(%q) = %v, %v; want %s", tt.in, ms, err, tt.want)
			continue
		}
		again, err := ParseMatchers(ms.String())
		if err != nil || again.String() != ms.String() {
			t.Errorf("round trip of %s: %v %v", ms, again, err)
		}
	}
	// Rule selectors stay PromQL: values must be quoted.
	if _, err := ParseSelector(`cpu{mode=idle}`); err == nil {
		t.Error("ParseSelector accepted an unquoted value")
	}
}

func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{`alertname="DatabaseDown"`, `alertname=DatabaseDown`, `{team=~payments|kyc, severity!=ticket}`,
		`"igmon.check.name"="postgres"`, `a="\"q\""`, `{}`, `x!~""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMatchers(s)
		if err != nil {
			if !errors.Is(err, errSyntax) {
				t.Fatalf("error does not wrap errSyntax: %v", err)
			}
			return
		}
		// What parses renders to text that parses to the same matchers.
		again, err := ParseMatchers(ms.String())
		if err != nil || again.String() != ms.String() {
			t.Fatalf("round trip %q → %s: %v %v", s, ms, again, err)
		}
	})
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{`igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout", igmon.dependency.name="stripe"}`,
		`a`, `a{}`, `a{b!~"x.*"}`, `a{b="\"q\""}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		// Round trip: the rendered selector parses to the same thing.
		again, err := ParseSelector(sel.String())
		if err != nil || again.String() != sel.String() {
			t.Fatalf("round trip %q → %q: %v", s, sel.String(), err)
		}
	})
}
