package probes

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel/attribute"

	"github.com/jackcode/igmon/internal/pgtest"
)

func TestDBPoolCountsMoveWithHeldConnections(t *testing.T) {
	db := pgtest.Open(t, pgtest.DSN(t))
	db.SetMaxOpenConns(3)
	db.SetMaxIdleConns(2)
	mp, rd := testMeter(t)
	p, err := DBPool(mp, "wallet", db, WithIdleMax(2))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	pool := attribute.String("db.client.connection.pool.name", "wallet")
	used := attribute.String("db.client.connection.state", "used")
	idle := attribute.String("db.client.connection.state", "idle")

	var conns []*sql.Conn
	for range 3 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	rm := collect(t, rd)
	if v := mustValue(t, rm, "db.client.connection.count", pool, used); v != 3 {
		t.Errorf("used = %v with 3 connections held, want 3", v)
	}
	if v := mustValue(t, rm, "db.client.connection.max", pool); v != 3 {
		t.Errorf("max = %v, want 3", v)
	}
	if v := mustValue(t, rm, "db.client.connection.idle.max", pool); v != 2 {
		t.Errorf("idle.max = %v, want 2", v)
	}
	if v := mustValue(t, rm, igsemconv.MetricDBWaitCount, pool); v != 0 {
		t.Errorf("wait count = %v before any wait", v)
	}

	// The pool is exhausted: a fourth request waits until it times out.
	wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = db.Conn(wctx)
	wcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fourth Conn on a full pool: %v, want a deadline error", err)
	}
	for _, c := range conns {
		c.Close()
	}
	rm = collect(t, rd)
	if v := mustValue(t, rm, "db.client.connection.count", pool, used); v != 0 {
		t.Errorf("used = %v after releasing, want 0", v)
	}
	if v := mustValue(t, rm, "db.client.connection.count", pool, idle); v != 2 {
		t.Errorf("idle = %v after releasing 3 with max idle 2, want 2", v)
	}
	if v := mustValue(t, rm, igsemconv.MetricDBWaitCount, pool); v < 1 {
		t.Errorf("wait count = %v after a request waited", v)
	}
	if v := mustValue(t, rm, igsemconv.MetricDBWaitDuration, pool); v <= 0 {
		t.Errorf("wait duration = %v after a request waited", v)
	}
	if v := mustValue(t, rm, igsemconv.MetricDBClosed, pool, attribute.String(igsemconv.AttrDBCloseReason, "max_idle")); v != 1 {
		t.Errorf("closed{max_idle} = %v, want 1 (3 released, 2 kept idle)", v)
	}
}

func TestDBPoolValidation(t *testing.T) {
	db, err := sql.Open("pgx", "postgres://localhost:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := DBPool(nil, "", db); !errors.Is(err, errInvalidPool) {
		t.Errorf("empty name: %v", err)
	}
	if _, err := DBPool(nil, "x", nil); !errors.Is(err, errInvalidPool) {
		t.Errorf("nil db: %v", err)
	}
	if _, err := DBPool(nil, "x", db, WithIdleMax(-1)); !errors.Is(err, errInvalidPool) {
		t.Errorf("negative idle max: %v", err)
	}
	// Unlimited pools report no maximum.
	mp, rd := testMeter(t)
	p, err := DBPool(mp, "unlimited", db)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rm := collect(t, rd)
	if _, ok := value(rm, "db.client.connection.max"); ok {
		t.Error("db.client.connection.max reported for an unlimited pool")
	}
	if _, ok := value(rm, "db.client.connection.idle.max"); ok {
		t.Error("idle.max reported without WithIdleMax")
	}
}
