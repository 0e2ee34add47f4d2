// Package murmur speaks the Murmur Slice (murmurd's Ice interface) over
// package ice: typed calls on murmurd's Meta and virtual Server objects, and
// the ServerAuthenticator object murmurd calls back for every login.
//
// Operations called (all with the context "secret" = icesecretwrite):
//
//   - Meta: ice_isA (module detection), getVersion, getServer,
//     getBootedServers.
//   - Server: isRunning, setAuthenticator, getConf, setConf, getUsers,
//     kickUser, addUserToGroup, removeUserFromGroup, verifyPassword,
//     hasPermission, addChannel, removeChannel, getACL, setACL.
//
// Operations answered by Servant (ServerAuthenticator): authenticate,
// getInfo, nameToId, idToName, idToTexture, besides ice_isA, ice_ping,
// ice_id and ice_ids. It is not a ServerUpdatingAuthenticator, so murmurd
// sends none of registerUser, unregisterUser, getRegisteredUsers, setInfo,
// setTexture; any of them gets operation-not-exist.
//
// Modules and versions: Mumble up to 1.4 names its Slice module Murmur,
// 1.5 renamed it MumbleServer, which changes every type id
// (::Murmur::Meta → ::MumbleServer::Meta, exceptions alike) but no
// operation. Dial finds the module by asking the Meta object ice_isA for
// each (or checks the one configured), and reads the version once: Mumble
// 1.4 added the member version2 (a long after version) to the User struct,
// so getUsers is decoded with or without it by the version (always with it
// under MumbleServer). User exceptions are decoded by type id into the
// sentinel errors (ErrInvalidSecret…) of the connection's module; one of an
// unknown type gives ErrUnknownException naming it.
//
// Ice checks each request's operation mode against the slice (murmurd
// answers a mismatch with a MarshalException), so every call is sent with
// its slice mode, and the servant refuses a mismatch in turn.
//
// Everything murmurd sends is decoded strictly (bounds, sizes, enum
// values, trailing bytes) and returns errors, never panics; the decoders
// are fuzzed.
package murmur
