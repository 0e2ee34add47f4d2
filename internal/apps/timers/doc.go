// Package timers is Alliance Auth's structure timers (the timerboard):
// when a structure comes out of reinforcement, with its system, planet or
// moon, structure type, timer type, objective, owner and details, in EVE
// time (UTC), listed as upcoming and past with a live countdown.
//
// A corporation-only timer belongs to its creator's main's corporation
// and is seen only by members whose main is in it (and superusers), on
// the pages, in the calendar feed and in the reminders alike: one query
// (visible) says who sees what.
//
// Before a timer comes out, a job every minute sends a reminder once
// (when the site's setting asks for one): an in-site notification to every
// member who may see it and, when a Discord service instance is named, a
// post in its ping channel. The reminder is claimed by an UPDATE that marks
// the timer in the transaction that stores the notifications and queues
// the post, so two runs, or two processes, never send it twice.
package timers
