// Package xmpp is Keepstar's XMPP connector type: Keepstar makes each
// member's account on an XMPP server, shows its password once, keeps the
// server's groups in step with the mapped Keepstar groups, locks the
// account when access is lost, and sends group pings to members.
//
// One type, two backends behind the same connector:
//
//   - ejabberd, through mod_http_api with mod_admin_extra (register,
//     change_password, ban_account, shared roster groups, send_message),
//     tested against the real ejabberd (package ejabberdtest);
//   - Openfire, through its REST API plugin (users, user groups,
//     lockouts), which Alliance Auth's users run, tested against the
//     faithful fake in internal/openfiresim.
//
// The login name is the formatted name escaped per XEP-0106 and
// lower-cased (the servers' nodeprep folds case), fixed when the account
// is made; Keepstar records which of its accounts made each name
// (xmpp_accounts), so that a member who comes back gets their own locked
// account again, and never another's. Loss of access locks the account
// (ejabberd's ban, Openfire's lockout, both ending live sessions) and
// takes its groups away; Alliance Auth deletes it, which frees the name
// for anyone to register. See docs/services-xmpp.md and decision 0035.
package xmpp
