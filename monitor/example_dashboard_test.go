package monitor_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jackcode/igmon/monitor"
)

// The status page is an http.Handler over the Monitor's own data; mount it
// at "/" or under a prefix. The Monitor closes it on Shutdown.
func ExampleMonitor_Dashboard() {
	m, err := monitor.New(monitor.WithServiceName("casino"), monitor.WithoutSystemMetrics(),
		monitor.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	dash, err := m.Dashboard(monitor.WithDashboardTitle("Casino platform"), monitor.WithDashboardRefresh(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/dashboard/", http.StripPrefix("/dashboard", dash))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/dashboard/")
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(page), "<title>Casino platform</title>"))
	// Output: 200 true
}
