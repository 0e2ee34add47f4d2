// Package hr is Alliance Auth's HR applications: each corporation has at
// most one application form (questions in order, each a free text or one
// of a list of choices); any logged-in account, a Guest's too, applies
// with its account, at most one pending application per form, sees its own
// applications and their status and withdraws one while it is pending.
//
// Who reviews: Alliance Auth's auth.human_resources, read against the
// reviewer's main: hr.review admits the applications to the form of one's
// main's corporation, hr.review_all every form's (superusers hold both).
// One query (reviewable) says which forms a reviewer sees, for the lists
// and for every application page alike.
package hr
