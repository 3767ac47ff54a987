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
	c, err := checks.SQL(db, checks.WithName("wallet-db"), checks.WithQuery("SELECT 1"),
		checks.WithTimeout(time.Second), checks.WithInterval(5*time.Second))
	fmt.Println(c == nil, err != nil)
	// Output: true true
}

// sessionStore stands in for a client with a PingContext method, such as
// *sql.DB; a client whose ping method has another name goes through Func.
type sessionStore struct{}

func (sessionStore) PingContext(context.Context) error { return nil }

func ExamplePinger() {
	c, err := checks.Pinger("sessions-redis", sessionStore{},
		checks.WithComponentType("datastore"))
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
