// Package sso is the simulator of EVE Online's single sign-on (EVE SSO v2,
// login.eveonline.com) that Keepstar's tests, demos and development use in
// place of CCP's servers, which nothing in Keepstar may call.
//
// It owns the OAuth2 side of the simulated universe: the metadata document,
// the signing keys and their JWKS, the authorization page where a "player"
// picks one of their characters, authorization codes, access tokens (RS256
// JWTs with EVE's claims and quirks), refresh tokens and their revocation.
// Who the characters are, which account holds them and when their tokens
// must die comes from the universe package; this package only reads it.
//
// The ESI simulator checks access tokens through Server.VerifyAccessToken.
package sso
