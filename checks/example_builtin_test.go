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
