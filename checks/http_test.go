package checks

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// psp is a stand-in payment provider's health endpoint: /ok answers JSON,
// /down 503, /echo records the method and a header.
func pspServer(t *testing.T) (*httptest.Server, *atomic.Value) {
	t.Helper()
	var seen atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"UP","components":[{"name":"ledger","ok":true,"lag":0.5}],"note":null}`)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "all systems go") })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Method + " " + r.Header.Get("X-Api-Key"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestHTTP(t *testing.T) {
	srv, _ := pspServer(t)
	client := srv.Client()
	tests := []struct {
		name   string
		path   string
		opts   []Option
		status Status
		err    error
	}{
		{"2xx passes", "/ok", nil, StatusPass, nil},
		{"503 fails", "/down", nil, StatusFail, ErrUnexpectedStatus},
		{"404 fails", "/missing", nil, StatusFail, ErrUnexpectedStatus},
		{"expected 204", "/nocontent", []Option{WithExpectedStatus(204)}, StatusPass, nil},
		{"expected 204 got 200", "/ok", []Option{WithExpectedStatus(204)}, StatusFail, ErrUnexpectedStatus},
		{"503 accepted when expected", "/down", []Option{WithExpectedStatus(200, 503)}, StatusPass, nil},
		{"body contains", "/text", []Option{WithBodyContains("systems go")}, StatusPass, nil},
		{"body lacks", "/text", []Option{WithBodyContains("UP")}, StatusFail, ErrUnexpectedBody},
		{"body beyond limit", "/text", []Option{WithBodyContains("go"), WithMaxBodyBytes(4)}, StatusFail, ErrUnexpectedBody},
		{"json string", "/ok", []Option{WithJSONField("status", "UP")}, StatusPass, nil},
		{"json string mismatch", "/ok", []Option{WithJSONField("status", "DOWN")}, StatusFail, ErrUnexpectedBody},
		{"json nested bool", "/ok", []Option{WithJSONField("components.0.ok", "true")}, StatusPass, nil},
		{"json number", "/ok", []Option{WithJSONField("components.0.lag", "0.5")}, StatusPass, nil},
		{"json null", "/ok", []Option{WithJSONField("note", "null")}, StatusPass, nil},
		{"json missing", "/ok", []Option{WithJSONField("components.1.ok", "true")}, StatusFail, ErrUnexpectedBody},
		{"json object not value", "/ok", []Option{WithJSONField("components", "x")}, StatusFail, ErrUnexpectedBody},
		{"json on text body", "/text", []Option{WithJSONField("status", "UP")}, StatusFail, ErrUnexpectedBody},
		{"slow is warn", "/ok", []Option{WithLatencyWarn(time.Nanosecond)}, StatusWarn, ErrSlowResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := HTTP(srv.URL+tt.path, append([]Option{WithHTTPClient(client)}, tt.opts...)...)
			o := runOnce(t, built(t, c, err))
			wantOutcome(t, o, tt.status, tt.err)
			if o.Observation == nil || o.Observation.Measurement != "responseTime" || o.Observation.Unit != "ms" {
				if tt.status != StatusFail {
					t.Errorf("observation = %+v, want responseTime in ms", o.Observation)
				}
			}
		})
	}
}

func TestHTTPMethodAndHeader(t *testing.T) {
	srv, seen := pspServer(t)
	c, err := HTTP(srv.URL+"/echo", WithHTTPClient(srv.Client()), WithMethod(http.MethodHead), WithHeader("X-Api-Key", "k1"))
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusPass, nil)
	if got := seen.Load(); got != "HEAD k1" {
		t.Errorf("server saw %q, want %q", got, "HEAD k1")
	}
	// A second run reuses the prepared request without sharing state.
	wantOutcome(t, runOnce(t, c), StatusPass, nil)
}

func TestHTTPClosedPeerFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := HTTP(url + "/health")
	o := runOnce(t, built(t, c, err))
	wantOutcome(t, o, StatusFail, nil)
	if !strings.Contains(o.Err.Error(), "connection refused") {
		t.Errorf("err = %v, want connection refused", o.Err)
	}
}

func TestHTTPTLSVerification(t *testing.T) {
	cert := selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is the point
	srv.StartTLS()
	t.Cleanup(srv.Close)

	// Verification is on by default: a self-signed peer fails.
	c, err := HTTP(srv.URL)
	o := runOnce(t, built(t, c, err))
	wantOutcome(t, o, StatusFail, nil)
	var uae x509.UnknownAuthorityError
	if !errors.As(o.Err, &uae) {
		t.Errorf("err = %v, want an unknown authority error", o.Err)
	}
	// Explicitly off.
	c, err = HTTP(srv.URL, WithInsecureSkipVerify())
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusPass, nil)
	// Or trusted through the service's own client.
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	c, err = HTTP(srv.URL, WithHTTPClient(&http.Client{Transport: tr}))
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusPass, nil)
}
