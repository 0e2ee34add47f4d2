// Package forumdb is what Keepstar's forum connectors that write into the
// forum's own MySQL/MariaDB tables (phpBB3, SMF) share: an instance's
// connection settings read and checked, the connection opened in strict
// SQL mode, every change in one transaction with its statements counted,
// and the database's errors sorted into those that pass (the server
// unreachable, a deadlock: services.ErrUnavailable) and those an admin
// must fix.
//
// Strict mode is Keepstar's own session setting, whatever the forum's
// server or the forum software's driver uses: a value that does not fit a
// column, or a NOT NULL column left out, fails the transaction instead of
// being cut or filled in silently.
package forumdb
