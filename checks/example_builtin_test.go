package checks_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jackcode/igmon/checks"
)

func ExampleHTTP() {
	// A game provider's status endpoint.
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"UP","lobby":{"open":true}}`)
	}))
	defer provider.Close()

	reg, _ := checks.NewRegistry(checks.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Shutdown(context.Background())

	c, err := checks.HTTP(provider.URL+"/status",
		checks.WithName("slots-provider"),
		checks.WithHTTPClient(provider.Client()), // the client the service already uses
		checks.WithJSONField("lobby.open", "true"),
		checks.WithLatencyWarn(800*time.Millisecond),
		checks.WithComponentType(checks.ComponentGameProvider),
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = reg.Add(c)
	fmt.Println(reg.Status(context.Background(), checks.Readiness))
	// Output: pass
}

func ExampleSQL() {
	var db *sql.DB // the service's own pool, from sql.Open("pgx", dsn)
	c, err := checks.SQL(db, checks.WithName("wallet-db"), checks.WithQuery("SELECT 1"),
		checks.WithTimeout(time.Second), checks.WithInterval(5*time.Second))
	fmt.Println(c == nil, err != nil)
	// Output: true true
}

func ExamplePinger() {
	// Any client whose ping method has another name plugs in through
	// PingFunc; here a stand-in for rdb.Ping(ctx).Err().
	ping := func(ctx context.Context) error { return nil }
	c, err := checks.Pinger("sessions-redis", checks.PingFunc(ping),
		checks.WithComponentType(checks.ComponentDatastore))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name(), c.Run(context.Background()).Status)
	// Output: sessions-redis pass
}

func ExampleTLSCert() {
	// Warn three weeks and fail one week before the PSP's certificate
	// (or any certificate of its chain) expires.
	c, err := checks.TLSCert("api.psp.example:443", checks.WithCertExpiry(21, 7),
		checks.WithInterval(time.Hour), checks.WithTimeout(5*time.Second),
		checks.WithComponentType(checks.ComponentPaymentProvider))
	fmt.Println(c.Name(), err)
	// Output: tls-api.psp.example <nil>
}
