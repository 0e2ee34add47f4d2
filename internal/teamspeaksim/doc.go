// Package teamspeaksim is Keepstar's simulated TeamSpeak 3 server: its
// ServerQuery interface, over raw TCP (Serve), over SSH (ServeSSH, the
// query login being the SSH user and password) and as WebQuery over HTTP
// (WebQueryHandler, with an API key), with the in-memory state a
// virtual server keeps that Keepstar touches: server groups with their type
// (0 template, 1 regular, 2 query) including the default group Guest, the
// client database with custom fields, online clients, and privilege keys.
//
// It speaks the line protocol as the server does (SQMAN, the ServerQuery
// manual): the "TS3" greeting and a banner line on connect, server lines
// ending "\n\r", the escaping table for values, list items split by "|", and
// every reply closed by one "error id=<n> msg=<text>" status line with the
// server's error ids (256 command not found, 512 invalid clientID, 518 not
// logged in, 520 invalid login, 524 flooding, 1024 invalid serverID, 1281
// empty result set, 1282 duplicate entry, 1538/1539 invalid/missing
// parameter, 2560 invalid group, 2561 already a member, 2563 not a member,
// 2564 the default group, 2568 insufficient permissions, 3329 banned, 3331
// flood ban, 3840 invalid privilege key).
//
// Its rules are enforced: a connection idle longer than the idle timeout
// (5 minutes, as servers since 3.2.0) is dropped; callers not on the
// allowlist may send 10 commands per 3 seconds, the next one is refused
// with 524 and the one after that bans the address (3331) for the ban time
// and closes the connection, as the server's anti-flood does by default.
//
// Tests drive it through hooks: Redeem acts as a TeamSpeak client joining
// with a privilege key (its client record made, put in the key's group, the
// key's custom fields written, online), Connect and Disconnect move
// clients, Deny refuses a command for lack of permission, DropAfter and
// DropAll cut connections, and Stats reads the counters (commands by name,
// changes applied, floods, bans, connections). Handler serves a small HTML
// page for demos: the server's groups and clients and a form to redeem a key.
//
// The facts it follows are in ../shared/reference/services/teamspeak3.md
// beside the repository; the replies copy the shapes of the manual's
// examples.
package teamspeaksim
