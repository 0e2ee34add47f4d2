package murmur

import (
	"errors"
	"fmt"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// Module is the Slice module murmurd's interfaces live in. It prefixes
// every Ice type id (interfaces, exceptions), so the two speak the same
// operations under different names.
type Module string

const (
	// ModuleMurmur is the module of Mumble up to 1.4.
	ModuleMurmur Module = "Murmur"
	// ModuleMumbleServer is the module of Mumble 1.5 and later.
	ModuleMumbleServer Module = "MumbleServer"
)

// typeID returns the Ice type id of name in the module, e.g.
// "::Murmur::ServerAuthenticator".
func (m Module) typeID(name string) string { return "::" + string(m) + "::" + name }

func (m Module) valid() bool { return m == ModuleMurmur || m == ModuleMumbleServer }

// The user exceptions of the slice (all derive from MurmurException, which
// has no data members), as sentinel errors for errors.Is.
var (
	ErrMurmur            = errors.New("murmur: MurmurException")
	ErrInvalidSession    = errors.New("murmur: invalid session")
	ErrInvalidChannel    = errors.New("murmur: invalid channel")
	ErrInvalidServer     = errors.New("murmur: invalid server")
	ErrServerBooted      = errors.New("murmur: server booted state wrong for the operation (not running, or running)")
	ErrServerFailure     = errors.New("murmur: server failure")
	ErrInvalidUser       = errors.New("murmur: invalid user")
	ErrInvalidTexture    = errors.New("murmur: invalid texture")
	ErrInvalidCallback   = errors.New("murmur: invalid callback")
	ErrInvalidSecret     = errors.New("murmur: invalid Ice secret")
	ErrNestingLimit      = errors.New("murmur: channel nesting limit")
	ErrWriteOnly         = errors.New("murmur: write-only configuration key")
	ErrInvalidInputData  = errors.New("murmur: invalid input data")
	ErrUnknownException  = errors.New("murmur: user exception of an unknown type")
	ErrServerNotFound    = errors.New("murmur: no such virtual server")
	ErrModuleUnsupported = errors.New("murmur: the Ice endpoint's Meta is neither ::Murmur::Meta nor ::MumbleServer::Meta")
)

// exceptionBase is the name of the base exception every other derives from.
const exceptionBase = "MurmurException"

// exceptions maps an exception's name in the slice to its sentinel.
var exceptions = map[string]error{
	exceptionBase:               ErrMurmur,
	"InvalidSessionException":   ErrInvalidSession,
	"InvalidChannelException":   ErrInvalidChannel,
	"InvalidServerException":    ErrInvalidServer,
	"ServerBootedException":     ErrServerBooted,
	"ServerFailureException":    ErrServerFailure,
	"InvalidUserException":      ErrInvalidUser,
	"InvalidTextureException":   ErrInvalidTexture,
	"InvalidCallbackException":  ErrInvalidCallback,
	"InvalidSecretException":    ErrInvalidSecret,
	"NestingLimitException":     ErrNestingLimit,
	"WriteOnlyException":        ErrWriteOnly,
	"InvalidInputDataException": ErrInvalidInputData,
}

// encodeException writes the user exception name of the module as
// encoding 1.0 does: a bool (no classes), then each slice from the most
// derived, as type id, slice size (counting its own 4 bytes) and members —
// none in Murmur's exceptions.
func encodeException(m Module, name string) []byte {
	var e ice.Encoder
	e.Bool(false)
	e.String(m.typeID(name))
	e.Int(4)
	if name != exceptionBase {
		e.String(m.typeID(exceptionBase))
		e.Int(4)
	}
	return e.Bytes()
}

// decodeException reads a user exception's payload and returns the error
// it stands for: its sentinel when it is one of the module's exceptions,
// else an error wrapping ErrUnknownException that names its type id. Bytes
// that are not an exception of encoding 1.0 give an error wrapping
// ice.ErrMalformed.
func decodeException(m Module, b []byte) error {
	d := ice.NewDecoder(b)
	classes, err := d.Bool()
	if err != nil {
		return err
	}
	typeID, err := d.String()
	if err != nil {
		return err
	}
	name, ok := knownException(m, typeID)
	if !ok {
		// Its members and base slices are unknown, so the rest cannot
		// be checked; the type id is what the caller can use.
		return fmt.Errorf("%w: %s", ErrUnknownException, typeID)
	}
	if classes {
		return fmt.Errorf("%w: exception %s says it carries classes, which Murmur's do not", ice.ErrMalformed, typeID)
	}
	if err := skipEmptySlice(d, typeID); err != nil {
		return err
	}
	if name != exceptionBase {
		base, err := d.String()
		if err != nil {
			return err
		}
		if base != m.typeID(exceptionBase) {
			return fmt.Errorf("%w: exception %s has base slice %q", ice.ErrMalformed, typeID, base)
		}
		if err := skipEmptySlice(d, base); err != nil {
			return err
		}
	}
	if err := d.Finish(); err != nil {
		return err
	}
	return exceptions[name]
}

func knownException(m Module, typeID string) (string, bool) {
	prefix := m.typeID("")
	if len(typeID) <= len(prefix) || typeID[:len(prefix)] != prefix {
		return "", false
	}
	name := typeID[len(prefix):]
	_, ok := exceptions[name]
	return name, ok
}

func skipEmptySlice(d *ice.Decoder, typeID string) error {
	size, err := d.Int()
	if err != nil {
		return err
	}
	if size != 4 {
		return fmt.Errorf("%w: exception slice %s of %d bytes, want 4 (no members)", ice.ErrMalformed, typeID, size)
	}
	return nil
}
