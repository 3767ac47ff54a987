package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBrowseURL: whatever -addr a person passes, the printed URL opens the
// demo. Each case listens for real and fetches the URL.
func TestBrowseURL(t *testing.T) {
	tests := []struct {
		listen string
		prefix string
	}{
		{"127.0.0.1:0", "http://127.0.0.1:"},
		{"0.0.0.0:0", "http://127.0.0.1:"},
		{":0", "http://127.0.0.1:"},
		{"localhost:0", "http://127.0.0.1:"},
		{"[::1]:0", "http://[::1]:"},
		{"[::]:0", "http://127.0.0.1:"},
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			ln, err := net.Listen("tcp", tt.listen)
			if err != nil {
				t.Skipf("cannot listen on %s here: %v", tt.listen, err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ReadHeaderTimeout: time.Second}
			done := make(chan struct{})
			go func() { defer close(done); _ = srv.Serve(ln) }()
			defer func() { srv.Close(); <-done }()

			u := browseURL(ln.Addr())
			if !strings.HasPrefix(u, tt.prefix) || strings.Contains(u, "0.0.0.0") || strings.Contains(u, "[::]") {
				t.Fatalf("URL %q for a listener on %s", u, ln.Addr())
			}
			resp, err := client.Get(u + "/")
			if err != nil {
				t.Fatalf("GET %s: %v", u, err)
			}
			resp.Body.Close()
		})
	}
}
