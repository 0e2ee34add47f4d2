// Package accounts owns members' accounts and their EVE characters: who
// logs in, which characters belong together, and what happened to every
// character that left an account.
//
// The rules are Neucore's, the strictest and clearest of the systems
// Keepstar replaces:
//
//   - The first login of a character creates an account with it as main.
//     Logging in again with a character of an account logs into that
//     account (an alt only when alt logins are allowed). A login whose owner
//     hash changed (the character was sold) moves the character to a new
//     account of its own.
//   - A logged-in member adds characters: a new character is attached; a
//     character on another account with the same owner hash merges the two
//     accounts (the older wins, every character moves, roles and the other
//     features' memberships are united); a character whose owner hash
//     changed moves alone.
//   - An account always has a main while it has characters: when the main
//     leaves, the oldest character becomes main.
//   - Every move and removal is recorded with its reason
//     (character_removals), and every owner seen is remembered
//     (character_owners).
//
// Each rule runs in one transaction together with the token that proved it
// (internal/eve/tokens), so a failure leaves nothing half done. The package
// also serves the member's pages (dashboard, characters, tokens, profile)
// and the user administration pages.
package accounts
