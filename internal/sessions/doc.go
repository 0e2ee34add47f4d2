// Package sessions owns Keepstar's web sessions: the cookie that keeps a
// browser logged in, and the server-side data behind it, kept in the table
// sessions of Keepstar's own database (decision 0021).
//
// Store keeps the rows, on SQLite and PostgreSQL with the same SQL. It keys
// each row by the SHA-256 of the session's token, never by the token
// itself, so a copy of the database does not let anyone take over a
// session; the bearer token (256 random bits) lives only in the browser's
// cookie, named with the __Host- prefix on https sites.
//
// Manager wraps the handlers of the web pages (Handler): it loads the
// session a cookie names, gives handlers its Data, and writes it back before
// the answer's first byte. A session ends at its absolute lifetime from the
// login, or after the idle timeout without a request; its last activity is
// written at most every TouchEvery, so browsing does not write on every
// page. LogIn renews the token, Destroy deletes the row. List, End and
// EndAll serve the member's sessions page.
//
// Register adds the hourly job that deletes ended sessions. Ended rows are
// never read (Find treats them as absent); the job only keeps the table
// from growing.
package sessions
