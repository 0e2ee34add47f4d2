package store

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// statementCacheSize bounds the prepared statements kept for SQLite's read
// pool. Each is prepared again on every reader connection that runs it, so
// the bound is on the distinct texts; the hot ones (the Application API's,
// every page's session and member reads) are a few dozen, while texts made
// per call (IN lists of every length) come and go at the cold end.
const statementCacheSize = 256

// statements keeps the read pool's most recently used statements prepared.
// SQLite's C library parses and plans a statement's text each time it is
// prepared, and database/sql prepares every Query anew: for a primary-key
// read that is most of its cost (a quarter of the CPU of a busy
// Application API endpoint, measured; docs/performance.md). PostgreSQL
// needs none of this: pgx keeps its own per-connection statement cache.
type statements struct {
	db *sql.DB

	mu    sync.Mutex
	byKey map[string]*list.Element // of *statement
	order *list.List               // most recently used first
}

type statement struct {
	query string
	stmt  *sql.Stmt
	// users counts the callers between get and release; a statement
	// pushed out of the cache meanwhile is closed by the last of them.
	users   int
	evicted bool
}

func newStatements(db *sql.DB) *statements {
	return &statements{db: db, byKey: map[string]*list.Element{}, order: list.New()}
}

// get gives query's prepared statement, preparing it when it is not kept.
// The caller runs it and then calls release. Closing a statement whose
// rows a caller still reads is safe: database/sql closes it for real once
// they are closed.
func (s *statements) get(ctx context.Context, query string) (*statement, error) {
	s.mu.Lock()
	if e, ok := s.byKey[query]; ok {
		s.order.MoveToFront(e)
		st := e.Value.(*statement)
		st.users++
		s.mu.Unlock()
		return st, nil
	}
	s.mu.Unlock()

	// Prepared outside the lock: two callers may prepare the same text at
	// once, and the second keeps the first's.
	stmt, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byKey[query]; ok {
		stmt.Close()
		s.order.MoveToFront(e)
		st := e.Value.(*statement)
		st.users++
		return st, nil
	}
	st := &statement{query: query, stmt: stmt, users: 1}
	s.byKey[query] = s.order.PushFront(st)
	if s.order.Len() > statementCacheSize {
		oldest := s.order.Back()
		s.order.Remove(oldest)
		old := oldest.Value.(*statement)
		delete(s.byKey, old.query)
		old.evicted = true
		if old.users == 0 {
			old.stmt.Close()
		}
	}
	return st, nil
}

// release ends a use of st that get gave.
func (s *statements) release(st *statement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.users--
	if st.evicted && st.users == 0 {
		st.stmt.Close()
	}
}

// close closes every statement kept.
func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := s.order.Front(); e != nil; e = e.Next() {
		e.Value.(*statement).stmt.Close()
	}
	s.byKey = map[string]*list.Element{}
	s.order.Init()
}

// query reads rows through query's prepared statement.
func (s *statements) query(ctx context.Context, query string, args []any) (Rows, error) {
	st, err := s.get(ctx, query)
	if err != nil {
		return nil, err
	}
	defer s.release(st)
	rows, err := st.stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// queryRow reads one row through query's prepared statement. A failure to
// prepare comes out of the row's Scan, as with database/sql's QueryRow.
func (s *statements) queryRow(ctx context.Context, query string, args []any) Row {
	st, err := s.get(ctx, query)
	if err != nil {
		return errRow{err}
	}
	defer s.release(st)
	// QueryRowContext runs the statement now; the row only reads it.
	return sqlRow{st.stmt.QueryRowContext(ctx, args...)}
}

// errRow is a row whose Scan fails.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
