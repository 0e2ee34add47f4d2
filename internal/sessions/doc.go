// Package sessions owns Keepstar's web sessions: the cookie that keeps a
// browser logged in, and the server-side data behind it, kept in the table
// sessions of Keepstar's own database through github.com/alexedwards/scs.
//
// Store implements scs.CtxStore over *store.DB, on SQLite and PostgreSQL
// with the same SQL. It keys each row by the SHA-256 of the session token,
// never by the token itself, so a copy of the database does not let anyone
// take over a session; the bearer token lives only in the browser's cookie.
//
// NewManager gives the scs.SessionManager that the web server wraps around
// its handlers (LoadAndSave). Sessions have an absolute lifetime and no idle
// timeout, so a request that does not change its session writes nothing.
//
// Register adds the hourly job that deletes expired sessions. Expired rows
// are never read (Find treats them as absent); the job only keeps the table
// from growing.
package sessions
