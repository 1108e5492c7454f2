// Copyright (c) The terraform-provider-virtco Authors
// SPDX-License-Identifier: MPL-2.0

package store

import (
	"context"
	"database/sql"
)

// maxStatements bounds the statements a cache keeps; the queries are a fixed set, but a few
// carry a number in their text (LIMIT), so a cache that outgrows it starts again.
const maxStatements = 256

// SQLite parses every statement it runs, and the driver keeps no prepared statement between
// calls: for a GET customer that parse was a fifth of the server's CPU, and for a write a sixth
// of the committer's. So the store prepares each query once per connection and runs it again.

// stmtConn is the writer's one connection, held by the committer for the store's life, with the
// statements prepared on it.
type stmtConn struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func (c *stmtConn) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxStatements {
		c.closeStatements()
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtConn) closeStatements() {
	for _, st := range c.stmts {
		_ = st.Close()
	}
	clear(c.stmts)
}

func (c *stmtConn) close() {
	c.closeStatements()
	_ = c.conn.Close()
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return c.conn.QueryRowContext(ctx, query, args...) // a Row that carries the same error
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// readPool lends the readers' connections, each with the statements prepared on it. A statement
// prepared through *sql.DB would need a connection of its own the first time, which 50 read
// transactions holding every connection would wait for forever.
type readPool struct {
	db    *sql.DB
	slots chan struct{}  // one per connection opened
	free  chan *stmtConn // connections opened and not lent
}

func newReadPool(db *sql.DB, n int) *readPool {
	return &readPool{db: db, slots: make(chan struct{}, n), free: make(chan *stmtConn, n)}
}

func (p *readPool) get(ctx context.Context) (*stmtConn, error) {
	select {
	case c := <-p.free:
		return c, nil
	default:
	}
	select {
	case c := <-p.free:
		return c, nil
	case p.slots <- struct{}{}:
		conn, err := p.db.Conn(ctx)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return &stmtConn{conn: conn, stmts: map[string]*sql.Stmt{}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// put gives a connection back, or closes it when it failed in a way that leaves its state unknown.
func (p *readPool) put(c *stmtConn, broken bool) {
	if broken {
		c.close()
		<-p.slots
		return
	}
	p.free <- c
}

func (p *readPool) close() {
	for {
		select {
		case c := <-p.free:
			c.close()
		default:
			return
		}
	}
}
