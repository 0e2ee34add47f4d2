// Package tokencheck owns the scheduled token check (the job tokens_check,
// Neucore's check-tokens): every valid EVE token of every EVE login is
// refreshed through the EVE SSO once per period (the run-time setting
// tokens.check_hours), to learn whether EVE still honours it, before a
// member or an app finds out the hard way.
//
// The schedule ticks every ten minutes and each tick checks a share of the
// tokens due (last checked more than a period ago, oldest first): at most
// twice what an even spread over the period needs, so a backlog is caught
// up without a burst at the SSO. A run asked for by hand checks every token
// once. A check is one forced refresh (tokens.Source.Check), through the
// same lease and compare-and-swap path as any refresh, skipped for a token
// checked since the run began, so no token is refreshed twice in one run
// even with several processes.
//
// What follows a check:
//
//   - invalid_grant, and only that, marks a token invalid (the tokens
//     package does it). An SSO that is down, slow or answering 5xx leaves
//     the token as it was; a run that meets nothing else stops and fails,
//     and River tries it again later;
//   - a refresh naming a new owner hash removes the character from its
//     account (deleted-owner-changed, recorded, its tokens deleted), by the
//     account rules (internal/accounts);
//   - for an EVE login that requires in-game roles, the character's roles
//     are read through ESI with the fresh token and has_roles recorded; an
//     ESI failure or limit leaves has_roles as it was;
//   - the characters whose token went invalid have their affiliations
//     looked up (one ESI call per 1,000), which removes the biomassed
//     (deleted-biomassed);
//   - the accounts whose tokens changed validity or that lost characters
//     are recomputed at once (internal/access), so group deactivation for
//     invalid tokens is right without waiting for the hourly recomputation;
//   - every run, whether or not tokens were due, applies Neucore's
//     deleted-lost-access (lostaccess.go): a character whose core.default
//     token EVE refused (a sale kills the seller's tokens, so this, not a
//     new owner hash, is what a sale looks like) has its account told at
//     once and a day before the deadline, and is removed after it unless a
//     login made its token valid again (decision record 0019).
//
// Nothing here logs token material.
package tokencheck
