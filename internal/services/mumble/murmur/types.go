package murmur

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// Version is murmurd's version as getVersion reports it.
type Version struct {
	Major, Minor, Patch int
	Text                string
}

// AtLeast reports whether v is major.minor or later.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d (%s)", v.Major, v.Minor, v.Patch, v.Text)
}

// layout says how the structs murmurd sends are laid out: Mumble 1.4 added
// the User member version2 (a long after version), and 1.5 kept it.
type layout struct {
	userVersion2 bool
}

func layoutFor(m Module, v Version) layout {
	return layout{userVersion2: m == ModuleMumbleServer || v.AtLeast(1, 4)}
}

// User is a connected user, the slice's User struct.
type User struct {
	Session  int // the connection's session id
	UserID   int // the registered (or authenticator's) id, -1 for unregistered
	Mute     bool
	Deaf     bool
	Suppress bool

	PrioritySpeaker bool
	SelfMute        bool
	SelfDeaf        bool
	Recording       bool
	Channel         int
	Name            string
	OnlineSecs      int
	BytesPerSec     int
	// Version is the client's version (1.2.4 is 0x010204); Version2
	// (Mumble 1.4 and later, else 0) has room for larger numbers.
	Version   int
	Version2  int64
	Release   string
	OS        string
	OSVersion string
	Identity  string // the positional-audio identity
	Context   string
	Comment   string
	Address   []byte // IPv6 bytes (IPv4 mapped)
	TCPOnly   bool
	IdleSecs  int
	UDPPing   float32
	TCPPing   float32
}

func encodeUser(e *ice.Encoder, l layout, u User) {
	e.Int(int32(u.Session))
	e.Int(int32(u.UserID))
	for _, b := range []bool{u.Mute, u.Deaf, u.Suppress, u.PrioritySpeaker, u.SelfMute, u.SelfDeaf, u.Recording} {
		e.Bool(b)
	}
	e.Int(int32(u.Channel))
	e.String(u.Name)
	e.Int(int32(u.OnlineSecs))
	e.Int(int32(u.BytesPerSec))
	e.Int(int32(u.Version))
	if l.userVersion2 {
		e.Long(u.Version2)
	}
	e.String(u.Release)
	e.String(u.OS)
	e.String(u.OSVersion)
	e.String(u.Identity)
	e.String(u.Context)
	e.String(u.Comment)
	encodeBytes(e, u.Address)
	e.Bool(u.TCPOnly)
	e.Int(int32(u.IdleSecs))
	e.Int(int32(math.Float32bits(u.UDPPing)))
	e.Int(int32(math.Float32bits(u.TCPPing)))
}

// fieldReader reads a struct's members in order, keeping the first error
// so a decoder can read every member and check once.
type fieldReader struct {
	d   *ice.Decoder
	err error
}

func (r *fieldReader) int() int {
	if r.err != nil {
		return 0
	}
	v, err := r.d.Int()
	r.err = err
	return int(v)
}

func (r *fieldReader) long() int64 {
	if r.err != nil {
		return 0
	}
	v, err := r.d.Long()
	r.err = err
	return v
}

func (r *fieldReader) float() float32 {
	return math.Float32frombits(uint32(r.int()))
}

func (r *fieldReader) bool() bool {
	if r.err != nil {
		return false
	}
	v, err := r.d.Bool()
	r.err = err
	return v
}

func (r *fieldReader) string() string {
	if r.err != nil {
		return ""
	}
	v, err := r.d.String()
	r.err = err
	return v
}

func (r *fieldReader) bytes() []byte {
	if r.err != nil {
		return nil
	}
	n, err := r.d.Size()
	if err != nil {
		r.err = err
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		if b[i], r.err = r.d.Byte(); r.err != nil {
			return nil
		}
	}
	return b
}

func (r *fieldReader) ints() []int {
	if r.err != nil {
		return nil
	}
	n, err := r.d.Size()
	if err != nil {
		r.err = err
		return nil
	}
	// Size bounds n by the bytes left, not by 4 per int, so the capacity
	// is capped by what can really follow.
	out := make([]int, 0, min(n, r.d.Len()/4))
	for range n {
		v := r.int()
		if r.err != nil {
			return nil
		}
		out = append(out, v)
	}
	return out
}

func decodeUser(r *fieldReader, l layout) User {
	var u User
	u.Session = r.int()
	u.UserID = r.int()
	u.Mute = r.bool()
	u.Deaf = r.bool()
	u.Suppress = r.bool()
	u.PrioritySpeaker = r.bool()
	u.SelfMute = r.bool()
	u.SelfDeaf = r.bool()
	u.Recording = r.bool()
	u.Channel = r.int()
	u.Name = r.string()
	u.OnlineSecs = r.int()
	u.BytesPerSec = r.int()
	u.Version = r.int()
	if l.userVersion2 {
		u.Version2 = r.long()
	}
	u.Release = r.string()
	u.OS = r.string()
	u.OSVersion = r.string()
	u.Identity = r.string()
	u.Context = r.string()
	u.Comment = r.string()
	u.Address = r.bytes()
	u.TCPOnly = r.bool()
	u.IdleSecs = r.int()
	u.UDPPing = r.float()
	u.TCPPing = r.float()
	return u
}

func encodeBytes(e *ice.Encoder, b []byte) {
	e.Size(len(b))
	for _, c := range b {
		e.Byte(c)
	}
}

// encodeUserMap writes getUsers' result, a dictionary int → User, keys in
// order as murmurd's std::map does.
func encodeUserMap(e *ice.Encoder, l layout, users []User) {
	users = slices.SortedFunc(slices.Values(users), func(a, b User) int { return cmp.Compare(a.Session, b.Session) })
	e.Size(len(users))
	for _, u := range users {
		e.Int(int32(u.Session))
		encodeUser(e, l, u)
	}
}

// decodeUserMap reads getUsers' result: the users by session, sorted by
// session. A key that differs from its user's session, or repeats, is
// refused: murmurd keys the map by session.
func decodeUserMap(b []byte, l layout) ([]User, error) {
	d := ice.NewDecoder(b)
	n, err := d.Size()
	if err != nil {
		return nil, err
	}
	r := &fieldReader{d: d}
	users := make([]User, 0, n)
	seen := make(map[int]bool, n)
	for range n {
		key := r.int()
		u := decodeUser(r, l)
		if r.err != nil {
			return nil, r.err
		}
		if key != u.Session {
			return nil, fmt.Errorf("%w: user map key %d holds session %d", ice.ErrMalformed, key, u.Session)
		}
		if seen[key] {
			return nil, fmt.Errorf("%w: user map key %d repeated", ice.ErrMalformed, key)
		}
		seen[key] = true
		users = append(users, u)
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	slices.SortFunc(users, func(a, b User) int { return cmp.Compare(a.Session, b.Session) })
	return users, nil
}

// Permission is a channel permission bit of the slice (its Permission*
// constants), for HasPermission and ACL entries.
type Permission int32

// The permission bits of the slice.
const (
	PermissionWrite           Permission = 0x01
	PermissionTraverse        Permission = 0x02
	PermissionEnter           Permission = 0x04
	PermissionSpeak           Permission = 0x08
	PermissionMuteDeafen      Permission = 0x10
	PermissionMove            Permission = 0x20
	PermissionMakeChannel     Permission = 0x40
	PermissionLinkChannel     Permission = 0x80
	PermissionWhisper         Permission = 0x100
	PermissionTextMessage     Permission = 0x200
	PermissionMakeTempChannel Permission = 0x400
	PermissionKick            Permission = 0x10000
	PermissionBan             Permission = 0x20000
	PermissionRegister        Permission = 0x40000
	PermissionRegisterSelf    Permission = 0x80000
)

// ACL is one access control entry of a channel, the slice's ACL struct: it
// grants Allow and denies Deny to the user UserID, or when UserID is -1 to
// the members of Group.
type ACL struct {
	ApplyHere bool
	ApplySubs bool
	Inherited bool // set by murmurd on entries inherited from a parent; ignored by setACL
	UserID    int
	Group     string
	Allow     Permission
	Deny      Permission
}

// Group is a channel's group, the slice's Group struct.
type Group struct {
	Name        string
	Inherited   bool
	Inherit     bool
	Inheritable bool
	Add         []int
	Remove      []int
	Members     []int
}

func encodeInts(e *ice.Encoder, v []int) {
	e.Size(len(v))
	for _, x := range v {
		e.Int(int32(x))
	}
}

func encodeACLs(e *ice.Encoder, acls []ACL) {
	e.Size(len(acls))
	for _, a := range acls {
		e.Bool(a.ApplyHere)
		e.Bool(a.ApplySubs)
		e.Bool(a.Inherited)
		e.Int(int32(a.UserID))
		e.String(a.Group)
		e.Int(int32(a.Allow))
		e.Int(int32(a.Deny))
	}
}

func encodeGroups(e *ice.Encoder, groups []Group) {
	e.Size(len(groups))
	for _, g := range groups {
		e.String(g.Name)
		e.Bool(g.Inherited)
		e.Bool(g.Inherit)
		e.Bool(g.Inheritable)
		encodeInts(e, g.Add)
		encodeInts(e, g.Remove)
		encodeInts(e, g.Members)
	}
}

// decodeACLResult reads getACL's out parameters: acls, groups, inherit.
func decodeACLResult(b []byte) ([]ACL, []Group, bool, error) {
	d := ice.NewDecoder(b)
	r := &fieldReader{d: d}
	n, err := d.Size()
	if err != nil {
		return nil, nil, false, err
	}
	acls := make([]ACL, 0, n)
	for range n {
		a := ACL{ApplyHere: r.bool(), ApplySubs: r.bool(), Inherited: r.bool(), UserID: r.int(), Group: r.string()}
		a.Allow = Permission(r.int())
		a.Deny = Permission(r.int())
		if r.err != nil {
			return nil, nil, false, r.err
		}
		acls = append(acls, a)
	}
	if n, err = d.Size(); err != nil {
		return nil, nil, false, err
	}
	groups := make([]Group, 0, n)
	for range n {
		g := Group{Name: r.string(), Inherited: r.bool(), Inherit: r.bool(), Inheritable: r.bool()}
		g.Add = r.ints()
		g.Remove = r.ints()
		g.Members = r.ints()
		if r.err != nil {
			return nil, nil, false, r.err
		}
		groups = append(groups, g)
	}
	inherit := r.bool()
	if r.err != nil {
		return nil, nil, false, r.err
	}
	if err := d.Finish(); err != nil {
		return nil, nil, false, err
	}
	return acls, groups, inherit, nil
}
