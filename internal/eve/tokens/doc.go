// Package tokens owns the EVE SSO tokens Keepstar keeps: one per character
// and EVE login (a named SSO configuration such as core.default or
// core.tracking; here only a text key), in the table eve_tokens.
//
// Store saves, reads, invalidates and deletes them. Both the refresh token
// and the access token are sealed with internal/secrets, the additional data
// binding each value to its row and column, so the database never holds a
// token in plain text and a sealed value copied elsewhere does not open.
//
// Source hands out access tokens valid for at least a minute more,
// refreshing through the EVE SSO when needed. Refreshing is the delicate
// part, because EVE may rotate refresh tokens (the old one dies the moment
// a new one is issued):
//
//   - within a process, one refresh per (character, login) at a time;
//   - across processes sharing the database, a refresh first takes a short
//     lease on the row by compare-and-swap on its version column, then calls
//     the SSO outside any transaction, then writes the answer by
//     compare-and-swap again. The others wait for the lease holder's answer
//     rather than spend the same refresh token. A plain compare-and-swap
//     without the lease is not enough with rotation: the loser's refresh can
//     fail with invalid_grant before the winner has written its new token,
//     and would then mark a live token dead;
//   - only invalid_grant for the refresh token still stored (same version)
//     marks a token invalid (ErrTokenInvalid); an unreachable SSO never does;
//   - a refresh naming another owner hash stores the new token and reports
//     ErrOwnerChanged until a new login saves a token again (see
//     ErrOwnerChanged). In practice EVE kills a character's refresh tokens
//     when it changes hands, so the refresh fails with invalid_grant first
//     and the change shows at the next login, in SaveResult.PreviousOwner.
//
// Source.Check forces a refresh through the same lease and compare-and-swap
// path, unless the token was checked since a given instant: the scheduled
// token check (internal/tokencheck) uses it to learn whether EVE still
// honours every token once per period, and Store.Due lists the tokens whose
// turn it is.
//
// Nothing here logs, and no error carries token material.
package tokens
