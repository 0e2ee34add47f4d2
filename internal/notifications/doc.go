// Package notifications owns the notifications Keepstar sends its members
// (Alliance Auth's notifications): a level, a title, a message, read or not.
// Features send through Send, in their own transaction; members read, mark
// and delete theirs on the notifications page, and the top bar shows the
// unread count, refreshing itself. Past a per-member maximum (a setting),
// the oldest are dropped as new ones arrive; past a maximum age (a setting too),
// a daily job deletes them.
package notifications
