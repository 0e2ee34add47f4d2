// Package fleetops is Alliance Auth's fleet operations (the optimer):
// scheduled operations with their name, doctrine, form-up system, start in
// EVE time (UTC), duration, fleet commander, type and description, listed
// as upcoming and past with a live countdown, and given to the members'
// calendar feeds (internal/apps/calendar).
//
// Holders of fleetops.view see the operations; holders of fleetops.manage
// (Alliance Auth's optimer_manage) add, change and delete them and see
// them too.
//
// Before an operation starts, a job every minute sends a reminder once
// (when the site's setting asks for one): an in-site notification to every
// member who may see it and, when a Discord service instance is named, a
// post in its ping channel. The reminder is claimed by an UPDATE that marks
// the operation in the transaction that stores the notifications and
// queues the post, so two runs, or two processes, never send it twice.
package fleetops
