package checks

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// built fails the test unless a built-in constructor succeeded.
func built(t *testing.T, c *Check, err error) *Check {
	t.Helper()
	if err != nil {
		t.Fatalf("constructor: %v", err)
	}
	return c
}

// runOnce runs c outside any registry with a generous parent deadline.
func runOnce(t *testing.T, c *Check) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Run(ctx)
}

func wantOutcome(t *testing.T, o Outcome, st Status, target error) {
	t.Helper()
	if o.Status != st {
		t.Fatalf("status = %v (err %v), want %v", o.Status, o.Err, st)
	}
	if target != nil && !errors.Is(o.Err, target) {
		t.Fatalf("err = %v, want it to wrap %v", o.Err, target)
	}
}

func TestBuiltinConstructorErrors(t *testing.T) {
	var nilDB *sql.DB
	var nilPinger *sql.DB
	tests := []struct {
		name  string
		build func() (*Check, error)
		want  string // substring naming the problem
	}{
		{"sql nil db", func() (*Check, error) { return SQL(nil) }, "db: must not be nil"},
		{"sql typed nil db", func() (*Check, error) { return SQL(nilDB) }, "db: must not be nil"},
		{"sql empty query", func() (*Check, error) { return SQL(&sql.DB{}, WithQuery("")) }, "query: must not be empty"},
		{"http empty url", func() (*Check, error) { return HTTP("") }, "url: must not be empty"},
		{"http bad url", func() (*Check, error) { return HTTP("http://[::1") }, "url:"},
		{"http no scheme", func() (*Check, error) { return HTTP("example.com/health") }, `scheme ""`},
		{"http ftp", func() (*Check, error) { return HTTP("ftp://example.com/") }, `scheme "ftp"`},
		{"http no host", func() (*Check, error) { return HTTP("http:///health") }, "has no host"},
		{"http url secret redacted", func() (*Check, error) { return HTTP("ftp://u:hunter2@example.com/") }, `scheme "ftp"`},
		{"http nil client", func() (*Check, error) { return HTTP("http://x", WithHTTPClient(nil)) }, "client: must not be nil"},
		{"http insecure with client", func() (*Check, error) {
			return HTTP("https://x", WithHTTPClient(&http.Client{}), WithInsecureSkipVerify())
		}, "insecure skip verify"},
		{"http bad method", func() (*Check, error) { return HTTP("http://x", WithMethod("GE T")) }, "method"},
		{"http bad header", func() (*Check, error) { return HTTP("http://x", WithHeader("X Key", "v")) }, "header"},
		{"http header injection", func() (*Check, error) { return HTTP("http://x", WithHeader("X-Key", "a\r\nb")) }, "control character"},
		{"http bad status", func() (*Check, error) { return HTTP("http://x", WithExpectedStatus(99)) }, "expected status: 99"},
		{"http no status", func() (*Check, error) { return HTTP("http://x", WithExpectedStatus()) }, "expected status"},
		{"http json path", func() (*Check, error) { return HTTP("http://x", WithJSONField("a..b", "x")) }, "empty segment"},
		{"http body", func() (*Check, error) { return HTTP("http://x", WithMaxBodyBytes(0)) }, "max body bytes"},
		{"tcp empty", func() (*Check, error) { return TCP("") }, "addr: must not be empty"},
		{"tcp no port", func() (*Check, error) { return TCP("db.internal") }, "not host:port"},
		{"tcp empty port", func() (*Check, error) { return TCP("db.internal:") }, "has no port"},
		{"tcp no host", func() (*Check, error) { return TCP(":5432") }, "has no host"},
		{"tcp bad port", func() (*Check, error) { return TCP("db:99999") }, "not a valid TCP port"},
		{"tcp nil dialer", func() (*Check, error) { return TCP("db:5432", WithDialer(nil)) }, "dialer: must not be nil"},
		{"dns empty", func() (*Check, error) { return DNS("") }, "host: must not be empty"},
		{"dns with port", func() (*Check, error) { return DNS("db.internal:53") }, "not allowed"},
		{"dns bad label", func() (*Check, error) { return DNS("a..b") }, "empty or over-long label"},
		{"dns nil resolver", func() (*Check, error) { return DNS("x.test", WithResolver(nil)) }, "resolver: must not be nil"},
		{"dns bad expected", func() (*Check, error) { return DNS("x.test", WithExpectedAddrs("10.0.0")) }, "not an IP address"},
		{"dns min", func() (*Check, error) { return DNS("x.test", WithMinAddrs(0)) }, "min addrs"},
		{"tls no port", func() (*Check, error) { return TLSCert("example.com") }, "addr:"},
		{"tls nil config", func() (*Check, error) { return TLSCert("example.com:443", WithTLSConfig(nil)) }, "tls config"},
		{"tls wrong order", func() (*Check, error) { return TLSCert("example.com:443", WithCertExpiry(3, 10)) }, "wrong order"},
		{"tls negative", func() (*Check, error) { return TLSCert("example.com:443", WithCertExpiry(3, -1)) }, "negative"},
		{"pinger nil", func() (*Check, error) { return Pinger("redis", nil) }, "pinger: must not be nil"},
		{"pinger typed nil", func() (*Check, error) { return Pinger("redis", nilPinger) }, "pinger: must not be nil"},
		{"pinger bad name", func() (*Check, error) { return Pinger("redis:6379", &sql.DB{}) }, "name:"},
		{"func nil", func() (*Check, error) { return Func("psp", nil) }, "func: must not be nil"},
		{"goroutines max", func() (*Check, error) { return Goroutines(0) }, "max: 0"},
		{"goroutines order", func() (*Check, error) { return Goroutines(100, WithGoroutinesWarn(200)) }, "wrong order"},
		{"latency", func() (*Check, error) { return TCP("db:5432", WithLatencyWarn(0)) }, "latency warn"},
		{"dialer on http", func() (*Check, error) { return HTTP("http://x", WithDialer(&net.Dialer{})) }, "does not apply to checks.HTTP"},
		{"foreign option", func() (*Check, error) { return TCP("db:5432", WithQuery("SELECT 1")) }, "WithQuery: applies only to checks.SQL"},
		{"common option still validated", func() (*Check, error) { return TCP("db:5432", WithTimeout(0)) }, "timeout"},
		{"bad name option", func() (*Check, error) { return TCP("db:5432", WithName("a b")) }, `"a b": name`},
		{"tls option on http", func() (*Check, error) { return HTTP("https://x", WithTLSConfig(&tls.Config{})) }, "applies only to checks.TLSCert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			if err == nil {
				t.Fatalf("got check %q, want an error containing %q", c.Name(), tt.want)
			}
			if c != nil {
				t.Errorf("got a non-nil check with the error %v", err)
			}
			if !errors.Is(err, ErrInvalidCheck) {
				t.Errorf("error %v does not wrap ErrInvalidCheck", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q leaks a credential", err)
			}
		})
	}
}

func TestBuiltinOptionsRejectedByNewCheck(t *testing.T) {
	for _, o := range []Option{WithName("x"), WithLatencyWarn(time.Second), WithQuery("SELECT 1"), WithMethod("GET")} {
		if _, err := NewCheck("c", func(context.Context) error { return nil }, o); err == nil || !strings.Contains(err.Error(), "applies only") {
			t.Errorf("NewCheck accepted a built-in option: err = %v", err)
		}
	}
}

func TestBuiltinDefaults(t *testing.T) {
	tests := []struct {
		name      string
		build     func() (*Check, error)
		wantName  string
		component string
	}{
		{"sql", func() (*Check, error) { return SQL(&sql.DB{}) }, "database", ComponentDatastore},
		{"sql renamed", func() (*Check, error) { return SQL(&sql.DB{}, WithName("wallet-db")) }, "wallet-db", ComponentDatastore},
		{"http", func() (*Check, error) { return HTTP("https://api.psp.example:8443/health?token=x") }, "http-api.psp.example", ComponentHTTP},
		{"tcp", func() (*Check, error) { return TCP("127.0.0.1:5432") }, "tcp-127.0.0.1-5432", ComponentComponent},
		{"tcp ipv6", func() (*Check, error) { return TCP("[::1]:5432") }, "tcp-1-5432", ComponentComponent},
		{"dns", func() (*Check, error) { return DNS("games.example") }, "dns-games.example", ComponentComponent},
		{"tls", func() (*Check, error) { return TLSCert("api.psp.example:443") }, "tls-api.psp.example", ComponentComponent},
		{"goroutines", func() (*Check, error) { return Goroutines(1000) }, "goroutines", ComponentSystem},
		{"pinger typed", func() (*Check, error) {
			return Pinger("redis", PingFunc(func(context.Context) error { return nil }), WithComponentType("cache"))
		}, "redis", "cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			c = built(t, c, err)
			if c.Name() != tt.wantName {
				t.Errorf("name = %q, want %q", c.Name(), tt.wantName)
			}
			if c.ComponentType() != tt.component {
				t.Errorf("component = %q, want %q", c.ComponentType(), tt.component)
			}
		})
	}
}
