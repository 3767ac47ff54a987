package name

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		in   string
		want string // substring of the error; "" accepts
	}{
		{"wallet-db", ""},
		{"A_b-C.9", ""},
		{"...", ""},
		{strings.Repeat("x", MaxLen), ""},
		{"", "empty"},
		{strings.Repeat("x", MaxLen+1), "longer than 64"},
		{".", "dot-segment"},
		{"..", "dot-segment"},
		{"redis:6379", `byte ':' at 5`},
		{"a b", "byte ' '"},
		{"a/b", "byte '/'"},
		{"ü", "byte"},
	}
	for _, tt := range tests {
		err := Validate(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Validate(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{"wallet-db", "..", "a:b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if Validate(s) != nil {
			return
		}
		if len(s) == 0 || len(s) > MaxLen || s == "." || s == ".." || strings.ContainsAny(s, "/:?#% \t\n") {
			t.Fatalf("accepted %q", s)
		}
	})
}
