// Package ice speaks the small part of ZeroC Ice that a Mumble server
// (murmurd) needs from Keepstar: calling the server's Meta and Server objects,
// and serving an authenticator object the server calls back.
//
// No Go implementation of Ice exists, so this package implements the subset
// from the protocol's public documentation, and nothing more:
//
//   - Ice protocol 1.0 and encoding 1.0 only; any other version in a frame
//     header is refused.
//   - No compression: a frame whose compression byte is not 0 is refused, and
//     frames are never compressed.
//   - No batching: BatchRequest frames are refused by the servant and never
//     sent by the client.
//   - TCP only, no TLS; proxies carry TCP endpoints (type 1) and nothing else.
//   - Message types Request, Reply, ValidateConnection (sent first by the
//     accepting side, and ignored later as a heartbeat) and CloseConnection.
//   - Encoding 1.0 values: bool, byte, short, int, long, size, string,
//     sequence of strings, dictionary string→string, encapsulation, identity,
//     proxy, request and reply headers. Operation parameters and results are
//     encoded by the caller with Encoder and read with Decoder.
//   - Frames are at most MaxFrameSize bytes (1 MiB), except those a Client
//     reads from the server it dialled, at most MaxReplyFrameSize (64 MiB,
//     for murmurd's getUsers on a busy server), read as they arrive; a
//     larger size is refused before anything is allocated for it.
//
// User exceptions are not decoded here: a reply with StatusUserException is
// handed to the caller with its raw payload (package murmur decodes
// Murmur's).
//
// The Murmur slice operations themselves (getVersion, setAuthenticator,
// authenticate…) belong to the package that uses this one.
package ice
