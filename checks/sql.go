package checks

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// SQL checks a database through the service's own *sql.DB pool: a
// PingContext when query is "", else query (e.g. "SELECT 1", or one that
// touches the tables the service needs), whose rows are read and
// discarded. It never opens a pool of its own. The round trip is observed
// as "responseTime" in ms and the pool's DBStats (open, inUse, idle,
// maxOpen, waitCount, waitDuration) are attached as details.
//
// The default name is "database" and the component type datastore. It
// accepts the common options, [WithName] and [WithLatencyWarn].
func SQL(db *sql.DB, query string, opts ...RoundTripOption) (*Check, error) {
	b := newBuiltin("SQL", "database", componentDatastore, "responseTime")
	configure(&b, opts, nil)
	if db == nil {
		b.fail("db", "must not be nil")
	}
	warn := b.latencyWarn
	return b.build(func(ctx context.Context) error {
		start := time.Now()
		var err error
		if query == "" {
			err = db.PingContext(ctx)
		} else {
			err = runQuery(ctx, db, query)
		}
		poolDetails(ctx, db.Stats())
		if err != nil {
			return fmt.Errorf("sql: %w", err)
		}
		return latency(ctx, start, warn)
	})
}

func runQuery(ctx context.Context, db *sql.DB, query string) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// poolDetails shows how the pool is doing: a saturated pool (inUse ==
// maxOpen with a growing waitCount) explains slow checks better than the
// latency alone.
func poolDetails(ctx context.Context, st sql.DBStats) {
	Detail(ctx, "pool.open", strconv.Itoa(st.OpenConnections))
	Detail(ctx, "pool.inUse", strconv.Itoa(st.InUse))
	Detail(ctx, "pool.idle", strconv.Itoa(st.Idle))
	Detail(ctx, "pool.maxOpen", strconv.Itoa(st.MaxOpenConnections))
	Detail(ctx, "pool.waitCount", strconv.FormatInt(st.WaitCount, 10))
	Detail(ctx, "pool.waitDuration", st.WaitDuration.String())
}
