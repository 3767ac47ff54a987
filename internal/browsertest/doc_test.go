//go:build linux

package browsertest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPageRendersScriptOutput(t *testing.T) {
	Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<body><script>document.body.setAttribute("data-ok", "yes")</script></body>`))
	}))
	defer srv.Close()
	if dom := string(Page(t, "--dump-dom", srv.URL)); !strings.Contains(dom, `data-ok="yes"`) {
		t.Fatalf("the script did not run:\n%s", dom)
	}
}

func TestConsoleLinesFindsScriptErrors(t *testing.T) {
	got := ConsoleLines("noise\n[1:2:INFO:CONSOLE(3)] \"boom\"\nUncaught TypeError: x\nmore")
	if len(got) != 2 {
		t.Fatalf("lines %q", got)
	}
}
