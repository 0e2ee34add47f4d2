// Package teamspeak3 is Keepstar's TeamSpeak 3 connector type (Type: one
// service instance per virtual server) and the ServerQuery client it is
// built on.
//
// A member joins with a privilege key: Invite makes one for the instance's
// member group (privilegekeyadd, or tokenadd on servers that predate it)
// whose custom set writes ident keepstar_id with the member's handle, a
// random id that is the account's ExternalID. The key is kept in the
// account's State sealed (secrets, purpose "teamspeak3 keys", bound to the
// instance and handle) and shown in the ts3server:// join link until it is
// redeemed. Apply looks for the client record by that custom field
// (customsearch) until it finds it, then keeps its database and unique ids
// in State and never searches again; until then the account is pending and
// Apply changes nothing, without an error. A found client's groups are read
// once per sync (servergroupsbyclientid) and only the difference is sent,
// matched by exact name against the server's regular groups (a cached
// servergrouplist, read again after ten minutes, on a 2560 or a name it
// lacks). The default group, template and query groups and the groups the
// Want keeps are never touched; 2561 (already a member) and 2563 (not a
// member) count as done, 2564 (the default group) is not retried. Remove
// deletes a pending key, or kicks the client's connections and deletes its
// client record (docs/decisions/0031). Observe reads the groups back, finds
// keys redeemed since, and replaces keys older than the instance's key
// lifetime. TeamSpeak nicknames belong to their clients: the connector
// proposes one in the join link and does not claim the Nickname capability.
//
// The client keeps one long-lived ServerQuery session per connector
// (Session), serialized by a mutex: raw TCP (login as a command) or SSH
// (the default; the login is the SSH login, the host key pinned by its
// fingerprint or trusted on first use), the greeting checked, "use" and
// the query client's nickname set on each connection, a "version" sent
// when idle for three minutes (servers drop idle queries after five), and
// a dropped connection dialled again on next use with a backoff between
// failures; a command whose connection dropped before its answer is sent
// again once if doing it twice changes nothing. Unless the instance is on
// the server's query allowlist, a Limiter shared by the process's sessions
// to one host keeps to the anti-flood rule (10 commands per 3 seconds)
// exactly: a command leaves only once the one ten before it was answered
// three seconds ago.
//
// The line codec escapes by SQMAN's table, splits items on "|" and pairs on
// their first "=", turns status lines into *Error values matched by id with
// errors.Is (ErrEmptyResult, ErrAlreadyInGroup…), and skips notify lines.
// WebQuery (the transports https and http, servers since 3.12) sends the
// same commands one HTTP request each, with an API key, and reads their
// JSON answers into the same items and errors; it has no session to keep
// and no lists in a command, and the limiter applies to it alike.
//
// The facts it follows are in ../shared/reference/services/teamspeak3.md
// beside the repository; internal/teamspeaksim is the server it is tested
// against.
package teamspeak3
