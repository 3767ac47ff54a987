package checks

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

type sqlConfig struct {
	builtin
	query string
}

// SQLOption configures [SQL]: [WithQuery] or any [Option]. WithQuery is
// not an Option, so giving it to another constructor does not compile.
type SQLOption interface {
	applySQL(*sqlConfig)
}

type queryOption string

func (q queryOption) applySQL(c *sqlConfig) {
	if !c.s.once("WithQuery") {
		return
	}
	c.query = string(q)
	if q == "" {
		c.fail("WithQuery", "must not be empty")
	}
}

// WithQuery makes [SQL] run query (e.g. "SELECT 1", or one that touches the
// tables the service needs) instead of a bare ping. Rows are read and
// discarded.
func WithQuery(query string) SQLOption { return queryOption(query) }

// SQL checks a database through the service's own *sql.DB pool: a
// PingContext, or the query given with [WithQuery]. It never opens a pool of
// its own. The round trip is observed as "responseTime" in ms and the pool's
// DBStats (open, inUse, idle, maxOpen, waitCount, waitDuration) are attached
// as details.
//
// The default name is "database" and the component type datastore. It
// accepts the common options, [WithName], [WithLatencyWarn] and [WithQuery].
func SQL(db *sql.DB, opts ...SQLOption) (*Check, error) {
	cfg := sqlConfig{builtin: newBuiltin("SQL", "database", componentDatastore, "responseTime")}
	cfg.latencyOK = true
	for _, o := range opts {
		if o != nil {
			o.applySQL(&cfg)
		}
	}
	if db == nil {
		cfg.fail("db", "must not be nil")
	}
	query, warn := cfg.query, cfg.latencyWarn
	return cfg.build(func(ctx context.Context) error {
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
