package exporters

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mapLookup(m map[string]string) lookupFunc {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{in: "api-key=abc", want: map[string]string{"api-key": "abc"}},
		{in: " Authorization = Bearer%20t0k ,x-tenant=brand1,", want: map[string]string{"authorization": "Bearer t0k", "x-tenant": "brand1"}},
		{in: "a=1,a=2", want: map[string]string{"a": "2"}},
		{in: "k=", want: map[string]string{"k": ""}},
		{in: "k=a=b", want: map[string]string{"k": "a=b"}},
		{in: "", want: map[string]string{}},
		{in: "novalue", wantErr: "entry 1: missing '='"},
		{in: "=v", wantErr: "entry 1: key must not be empty"},
		{in: "ok=1,bad key=secret", wantErr: "entry 2: key \"bad key\" has byte ' '"},
		{in: "grpc-timeout=1", wantErr: "reserved"},
		{in: "k=%zzsecret", wantErr: "entry 1 (key \"k\"): value is not valid percent-encoding"},
		{in: "k=%0Asecret", wantErr: "outside printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseHeaders(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("error echoes a header value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("got[%q] = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in, hostport, scheme, wantErr string
	}{
		{in: "collector:4317", hostport: "collector:4317"},
		{in: "http://collector:4317", hostport: "collector:4317", scheme: "http"},
		{in: "https://otel.example.com", hostport: "otel.example.com:4317", scheme: "https"},
		{in: "http://[::1]:9000/v1/metrics", hostport: "[::1]:9000", scheme: "http"},
		{in: " http://c:1 ", hostport: "c:1", scheme: "http"},
		{in: "collector", wantErr: "neither"},
		{in: "ftp://c:1", wantErr: "scheme \"ftp\""},
		{in: "http://user:pw@c:1", wantErr: "credentials in the URL"},
		{in: "http://:4317", wantErr: "host must not be empty"},
		{in: "c:99999", wantErr: "port \"99999\""},
		{in: "http://c:0", wantErr: "port \"0\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			hp, scheme, err := parseEndpoint(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Fatalf("error echoes credentials: %v", err)
				}
				return
			}
			if err != nil || hp != tt.hostport || scheme != tt.scheme {
				t.Fatalf("got %q %q %v, want %q %q", hp, scheme, err, tt.hostport, tt.scheme)
			}
		})
	}
}

func TestParseScalars(t *testing.T) {
	if d, err := parseMillis(" 1500 "); err != nil || d != 1500*time.Millisecond {
		t.Fatalf("parseMillis = %v, %v", d, err)
	}
	for _, bad := range []string{"", "-1", "0", "1.5", "10s", "9223372036854775807"} {
		if _, err := parseMillis(bad); err == nil {
			t.Errorf("parseMillis(%q) accepted", bad)
		}
	}
	for in, want := range map[string]bool{"true": true, "TRUE": true, " false ": false} {
		if got, err := parseBool(in); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"1", "yes", "on", ""} {
		if _, err := parseBool(bad); err == nil {
			t.Errorf("parseBool(%q) accepted", bad)
		}
	}
	for in, want := range map[string]temporality{"cumulative": cumulative, "Delta": delta, "lowmemory": lowMemory} {
		if got, err := parseTemporality(in); err != nil || got != want {
			t.Errorf("parseTemporality(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseTemporality("low_memory"); err == nil {
		t.Error("parseTemporality accepted low_memory")
	}
	if _, err := parseCompression("zstd"); err == nil {
		t.Error("parseCompression accepted zstd")
	}
}

func TestReadEnvPrecedenceAndErrors(t *testing.T) {
	c, err := readEnv(mapLookup(map[string]string{
		envEndpoint:             "http://generic:1",
		envMetricsEndpoint:      "metrics:2",
		envHeaders:              "a=1",
		envMetricsHeaders:       "b=2",
		envInsecure:             "true",
		envTimeout:              "2000",
		envMetricsTimeout:       "3000",
		envCompression:          "none",
		envTemporality:          "delta",
		envMetricExportInterval: "5000",
		envMetricExportTimeout:  "4000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "metrics:2" || c.scheme != "" || c.headers["b"] != "2" || c.headers["a"] != "" ||
		c.insecure == nil || !*c.insecure || c.timeout != 3*time.Second || c.compression != "none" ||
		c.temporality != delta || c.interval != 5*time.Second || c.readerTO != 4*time.Second {
		t.Fatalf("readEnv = %+v", c)
	}

	_, err = readEnv(mapLookup(map[string]string{
		envMetricsHeaders:       "authorization",
		envInsecure:             "yes",
		envMetricExportInterval: "1m",
	}))
	if !errors.Is(err, ErrInvalidEnv) {
		t.Fatalf("err = %v, want ErrInvalidEnv", err)
	}
	for _, v := range []string{envMetricsHeaders, envInsecure, envMetricExportInterval} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
	var ee *envError
	if !errors.As(err, &ee) {
		t.Fatalf("no *envError in %v", err)
	}
}

func TestDisabledAndConfigured(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want bool
		err  bool
	}{
		{env: nil},
		{env: map[string]string{envSDKDisabled: "true"}, want: true},
		{env: map[string]string{envSDKDisabled: "False"}},
		{env: map[string]string{envSDKDisabled: "  "}},
		{env: map[string]string{envSDKDisabled: "1"}, err: true},
	} {
		got, err := disabled(mapLookup(tt.env))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("Disabled(%v) = %v, %v", tt.env, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), envSDKDisabled) {
			t.Errorf("error does not name the variable: %v", err)
		}
	}
	if otlpConfigured(mapLookup(nil)) || otlpConfigured(mapLookup(map[string]string{envEndpoint: " "})) {
		t.Error("OTLPConfigured with no endpoint")
	}
	if !otlpConfigured(mapLookup(map[string]string{envMetricsEndpoint: "c:1"})) {
		t.Error("OTLPConfigured ignores the metrics endpoint")
	}
}

// FuzzParseHeaders: never panics; accepted headers are valid gRPC ASCII
// metadata; errors never echo a value.
func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{"a=b", "a=b,c=d", "Authorization=Bearer%20x", ",,", "=", "a=%", "k=%E2%82%AC", "grpc-x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHeaders(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "entry ") {
				t.Fatalf("error does not name the entry: %v", err)
			}
			return
		}
		for k, v := range h {
			if checkHeaderKey(k) != nil {
				t.Fatalf("accepted bad key %q", k)
			}
			for i := 0; i < len(v); i++ {
				if v[i] < 0x20 || v[i] > 0x7e {
					t.Fatalf("accepted non-printable value %q", v)
				}
			}
		}
	})
}

// FuzzParseEndpoint: never panics; accepted endpoints are host:port with a
// valid port.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"c:4317", "http://c:1", "https://c", "http://[::1]:1/x", "unix:///x", "http://u:p@c:1", "%zz://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hp, scheme, err := parseEndpoint(s)
		if err != nil {
			return
		}
		if scheme != "" && scheme != "http" && scheme != "https" {
			t.Fatalf("scheme %q", scheme)
		}
		if _, _, err := parseEndpoint(hp); err != nil {
			t.Fatalf("result %q does not parse again: %v", hp, err)
		}
	})
}

// FuzzReadEnv: any values for every variable give a config or errors that
// name the offending variables; nothing panics.
func FuzzReadEnv(f *testing.F) {
	f.Add("http://c:1", "a=b", "true", "1000", "gzip", "delta", "60000")
	f.Add("c", "x", "1", "-5", "br", "both", "1e3")
	f.Fuzz(func(t *testing.T, endpoint, headers, insecure, timeout, compression, temporality, interval string) {
		env := map[string]string{
			envEndpoint: endpoint, envHeaders: headers, envInsecure: insecure, envTimeout: timeout,
			envCompression: compression, envTemporality: temporality, envMetricExportInterval: interval,
		}
		_, err := readEnv(mapLookup(env))
		if err == nil {
			return
		}
		for _, e := range unwrapAll(err) {
			var ee *envError
			if !errors.As(e, &ee) {
				t.Fatalf("error without variable: %v", e)
			}
			if ee.Var == envHeaders && headers != "" && len(headers) > 3 && strings.Contains(e.Error(), headers) {
				t.Fatalf("header value echoed: %v", e)
			}
		}
	})
}
