// Package notifications owns the notifications Keepstar sends its members
// (Alliance Auth's notifications): a level, a title, a message, read or not.
// Features send through Store.Send, in their own transaction; members read,
// mark and delete theirs on the notifications page, and the top bar shows the
// unread count, refreshing itself. Past a per-member maximum (a setting),
// the oldest are dropped as new ones arrive; past a maximum age (a setting
// too), a daily job deletes them.
//
// Two fields of a Notice keep one member from drowning another's notices:
//
//   - Coalesce: a key naming what the notice is about. Notices that other
//     members cause at will (a request to join a group, sent to each of its
//     managers) carry one, "group_request:<group id>"; while the recipient
//     has an unread notice of that key, Send updates it (text, time, and its
//     Count) instead of adding one. Once read, the next one is new again.
//
//   - Security: a notice about the account's own safety. Keepstar's are: a
//     character moved to another account, a character removed (by an admin,
//     biomassed, its token lost), accounts merged, and warnings that a
//     character's token is invalid and the character will be removed. An
//     unread security notice is never dropped to make room, nor counted
//     against the maximum: it stays until its reader deletes it, or reads it
//     (it is then dropped as any other), or it passes the maximum age. Set
//     it only on notices that no other member can cause at will, e.g.:
//
//     err := store.Send(ctx, tx, accountID, notifications.Notice{Level: notifications.Warning,
//     Security: true, TitleKey: titleKey, MessageKey: messageKey,
//     Args: map[string]string{"Character": name}})
//
//     A security notice that may repeat (a token check warning each day)
//     carries a Coalesce key too, naming the character, so that it updates
//     the unread warning instead of piling up.
package notifications
