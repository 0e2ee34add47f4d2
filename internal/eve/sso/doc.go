// Package sso is Keepstar's client of EVE Online's single sign-on (EVE SSO
// v2): it builds the login URL (with PKCE), exchanges the code the player
// brings back, refreshes and revokes refresh tokens, and validates the
// access tokens (JWTs) the SSO issues, giving the character they name.
//
// It owns nothing of sessions or storage: callers keep the state and PKCE
// verifier across the redirect, and store the refresh token each call
// returns (EVE may rotate it). It talks to whatever SSO base URL it is given
// (KEEPSTAR_EVE_SSO_URL): CCP's in production, the simulator of
// internal/evesim/sso in tests and demos. It never logs, so tokens and
// secrets cannot leak into logs from here.
package sso
