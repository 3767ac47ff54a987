package checks_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"

	"github.com/jackcode/igmon/checks"
)

func ExampleSQL() {
	var db *sql.DB // the service's own pool, from sql.Open("pgx", dsn)
	c, err := checks.SQL(db, "SELECT 1", checks.WithName("wallet-db"),
		checks.WithTimeout(time.Second), checks.WithInterval(5*time.Second))
	fmt.Println(c == nil, err != nil)
	// Output: true true
}

// sessionStore stands in for a client with a ping method, such as a Redis
// or pgx pool.
type sessionStore struct{}

func (sessionStore) PingContext(context.Context) error { return nil }

func ExampleFunc_pingMethod() {
	var sessions sessionStore
	c, err := checks.Func("sessions-redis", sessions.PingContext,
		checks.WithComponentType("datastore"), checks.WithLatencyWarn(50*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	reg, _ := checks.NewRegistry()
	defer reg.Shutdown(context.Background())
	_ = reg.Add(c)
	res := reg.Evaluate(context.Background(), checks.Readiness).Results[0] // runs c, which never ran
	fmt.Println(res.Name, res.Status)
	// Output: sessions-redis pass
}
