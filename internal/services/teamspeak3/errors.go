package teamspeak3

import (
	"fmt"
	"sort"
	"strings"
)

// Error is a status line other than "error id=0": the server's error id,
// its message and any further keys (failed_permid, extra_msg).
type Error struct {
	ID    int
	Msg   string
	Extra map[string]string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("teamspeak3: error %d: %s", e.ID, e.Msg)
	if len(e.Extra) > 0 {
		keys := make([]string, 0, len(e.Extra))
		for k := range e.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+e.Extra[k])
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// Is matches errors by id, so errors.Is(err, ErrEmptyResult) holds for any
// 1281 the server sends.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.ID == e.ID
}

// The server's error ids the connector acts on (SQMAN; the reference's
// table).
var (
	ErrCommandNotFound  = &Error{ID: 256, Msg: "command not found"}
	ErrInvalidClientID  = &Error{ID: 512, Msg: "invalid clientID"}
	ErrNotLoggedIn      = &Error{ID: 518, Msg: "not logged in"}
	ErrInvalidLogin     = &Error{ID: 520, Msg: "invalid loginname or password"}
	ErrFlooding         = &Error{ID: 524, Msg: "client is flooding"}
	ErrInvalidServerID  = &Error{ID: 1024, Msg: "invalid serverID"}
	ErrEmptyResult      = &Error{ID: 1281, Msg: "database empty result set"}
	ErrDuplicateEntry   = &Error{ID: 1282, Msg: "database duplicate entry"}
	ErrInvalidParameter = &Error{ID: 1538, Msg: "invalid parameter"}
	ErrMissingParameter = &Error{ID: 1539, Msg: "parameter not found"}
	ErrInvalidGroup     = &Error{ID: 2560, Msg: "invalid group ID"}
	ErrAlreadyInGroup   = &Error{ID: 2561, Msg: "duplicate entry"}
	ErrNotInGroup       = &Error{ID: 2563, Msg: "empty result set"}
	ErrDefaultGroup     = &Error{ID: 2564, Msg: "access to default group is forbidden"}
	ErrPermissions      = &Error{ID: 2568, Msg: "insufficient client permissions"}
	ErrBanned           = &Error{ID: 3329, Msg: "connection failed, you are banned"}
	ErrFloodBan         = &Error{ID: 3331, Msg: "flood ban"}
	ErrInvalidKey       = &Error{ID: 3840, Msg: "invalid privilegekey"}
)
