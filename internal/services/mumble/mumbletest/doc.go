// Package mumbletest is test support for Keepstar's Mumble code: it runs the
// real Mumble server (murmurd, Debian's mumble-server package, built with
// Ice) on loopback for a test, and connects to it as a real Mumble client
// speaking the TLS control protocol, so tests exercise what a member's
// Mumble client and the server really do rather than a stub.
//
// It is for tests only. Start (over package murmurd, which also runs the
// demo's server) skips the test unless KEEPSTAR_TEST_MURMURD names the
// murmurd binary. The client does the least a client must to be
// seen by the server as a connected user: Version, Authenticate, pings, and
// it records the UserState and UserRemove messages it hears; it sends no
// voice. This package imports neither the Ice code nor the Murmur slice
// code, so their own tests can use it.
package mumbletest
