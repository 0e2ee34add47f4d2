package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/keepstar/keepstar/internal/config"
)

// sqliteReaders is the size of SQLite's read pool. Reads in WAL mode run in
// parallel with the writer; more readers than cores gains nothing.
const sqliteReaders = 4

// sqliteOptions are set on every connection. busy_timeout covers the rare
// wait on another process (keepstar migrate beside a running server);
// synchronous=NORMAL is safe with WAL and much faster than FULL; the time
// format stores times as sortable text.
const sqliteOptions = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"

func openSQLite(ctx context.Context, path string) (*DB, error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("store: the folder %s for the SQLite file does not exist", dir)
	}
	// The writer takes the write lock when a transaction begins (immediate),
	// not at its first write, so a transaction never fails half-way with
	// SQLITE_BUSY when another process holds the lock.
	writer, err := sql.Open("sqlite", path+"?"+sqliteOptions+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	// The writer connects first so that WAL mode is on before readers open.
	if err := writer.PingContext(pingCtx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", path+"?"+sqliteOptions+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	reader.SetMaxOpenConns(sqliteReaders)
	reader.SetMaxIdleConns(sqliteReaders)
	reader.SetConnMaxIdleTime(5 * time.Minute)
	if err := reader.PingContext(pingCtx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{dialect: config.SQLite, writer: writer, reader: reader, readStatements: newStatements(reader)}, nil
}
