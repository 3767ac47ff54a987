package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
		secret         string
	}{
		{"postgres url", `dial postgres://app:s3cr3t@db:5432/wallet failed`, `dial postgres://REDACTED@db:5432/wallet failed`, "s3cr3t"},
		{"url token userinfo", `GET https://tok123@api.psp.example/v1`, `GET https://REDACTED@api.psp.example/v1`, "tok123"},
		{"dsn password", `host=db user=app password=hunter2 dbname=x`, `host=db user=app password=REDACTED dbname=x`, "hunter2"},
		{"quoted password", `password='hun ter2' sslmode=disable`, `password=REDACTED sslmode=disable`, "hun ter2"},
		{"query token", `https://psp.example/cb?token=abc&x=1`, `https://psp.example/cb?token=REDACTED&x=1`, "abc&"},
		{"api_key", `call failed: api_key=KEY-1 apikey=KEY-2`, `call failed: api_key=REDACTED apikey=REDACTED`, "KEY-"},
		{"authorization bearer", `Authorization: Bearer eyJhbGciOi.x.y`, `Authorization: Bearer REDACTED`, "eyJ"},
		{"authorization basic", `authorization: Basic dXNlcjpwYXNz`, `authorization: Basic REDACTED`, "dXNl"},
		{"authorization raw", `Authorization: sk_live_123`, `Authorization: REDACTED`, "sk_live"},
		{"bare bearer", `upstream said bearer abc.def`, `upstream said bearer REDACTED`, "abc.def"},
		{"clean", `connection refused`, `connection refused`, ""},
		{"json secret", `{"password":"p4ss"}`, `{"password":REDACTED}`, "p4ss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := String(tt.in)
			if got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("secret %q survived: %q", tt.secret, got)
			}
		})
	}
}

func TestErrorNil(t *testing.T) {
	if Error(nil) != "" {
		t.Fatal("Error(nil) must be empty")
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"postgres://u:p@h/db", "password=x", "Authorization: Bearer t", "", "a@b:c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		// Redaction is idempotent: running it twice changes nothing more.
		if again := String(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}
