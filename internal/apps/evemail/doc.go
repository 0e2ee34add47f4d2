// Package evemail sends EVE mail for Keepstar, as Neucore's mail
// notifications do: the invalid-token mail (once per account, to its main,
// for configured alliances and corporations, again only after all the
// account's tokens were valid), the missing-character mail (to members of
// tracked corporations without an account), and test mails. One character's
// core.mail token sends them all, chosen by a holder of the settings role.
//
// Mails are queued (evemail_mails) and sent by the evemail_send job within
// the EVE server's mail limit, counted across processes in the database; a
// refusal for a recipient's CSPA charge is recorded and shown on the page.
// Managed accounts are never mailed.
package evemail
