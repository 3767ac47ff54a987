package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// store is the wallet: balances and a ledger, in PostgreSQL when
// DATABASE_URL is set, else in an embedded SQLite file.
type store struct {
	db       *sql.DB
	postgres bool
	faults   *Faults
}

var errInsufficient = errors.New("insufficient balance")

// errDBDown is what the injected "DB down" fault looks like to callers.
var errDBDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (s *store) q(query string) string {
	if !s.postgres {
		return query
	}
	// $1-style placeholders for PostgreSQL.
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *store) migrate(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS wallets (
		player TEXT PRIMARY KEY,
		balance_cents BIGINT NOT NULL DEFAULT 0
	)`)
	return err
}

// PingContext is what the health check calls.
func (s *store) PingContext(ctx context.Context) error {
	if s.faults.dbDown.Load() {
		return errDBDown
	}
	return s.db.PingContext(ctx)
}

func (s *store) adjust(ctx context.Context, player string, delta int64) (int64, error) {
	if s.faults.dbDown.Load() {
		return 0, errDBDown
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO wallets(player, balance_cents) VALUES (?, 0) ON CONFLICT (player) DO NOTHING`), player); err != nil {
		return 0, err
	}
	var bal int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT balance_cents FROM wallets WHERE player = ?`), player).Scan(&bal); err != nil {
		return 0, err
	}
	if bal+delta < 0 {
		return bal, errInsufficient
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE wallets SET balance_cents = ? WHERE player = ?`), bal+delta, player); err != nil {
		return 0, err
	}
	return bal + delta, tx.Commit()
}

func (s *store) balance(ctx context.Context, player string) (int64, error) {
	if s.faults.dbDown.Load() {
		return 0, errDBDown
	}
	var bal int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT balance_cents FROM wallets WHERE player = ?`), player).Scan(&bal)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return bal, err
}
