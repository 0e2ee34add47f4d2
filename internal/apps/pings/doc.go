// Package pings is the group pings (Alliance Auth's broadcast): a page where
// holders of pings.send (to groups they are in) or pings.send_all (to any
// group) send a message to the members of chosen groups over a service
// that can reach them one by one (an XMPP server: its connector is a
// Pinger), and perhaps post it in the ping channel of a Discord service (an
// Announcer). Each ping is recorded with its sender, groups, time and, per
// service, its job's outcome: recipients, delivered, failed, the error.
//
// Sending is a job per service, enqueued in the transaction that records
// the ping, so the page answers at once and a ping to thousands does not
// hold a request. The recipients are counted when the job runs: the
// accounts then in the groups with an active account (status ok) on the
// service. A job is never sent twice: one interrupted mid-send is recorded
// as failed rather than sent again.
//
// The package declares what it needs of connectors (Pinger, Announcer) and
// finds the instances whose connectors have it through the services
// framework (services.EnabledWhere); it knows no connector type.
package pings
