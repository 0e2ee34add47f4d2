package teamspeaksim

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Group types, as servergrouplist's type.
const (
	GroupTemplate = 0
	GroupRegular  = 1
	GroupQuery    = 2
)

// The groups every simulated server starts with, as a fresh TeamSpeak 3
// server has them (the default group Guest is sgid 8 there too).
const (
	SGIDServerAdmin = 6
	SGIDGuest       = 8
	SGIDQueryGuest  = 1
	SGIDAdminQuery  = 2
)

// Group is a server group.
type Group struct {
	ID   int
	Name string
	Type int
}

// Client is a client database record.
type Client struct {
	DBID        int
	UID         string
	Nickname    string
	Description string
	Created     time.Time
	Groups      map[int]bool
	Custom      map[string]string
}

// Key is a privilege key (token).
type Key struct {
	Token       string
	Type        int // 0 server group, 1 channel group
	ID1, ID2    int
	Description string
	CustomSet   string // as sent, unescaped once
	Created     time.Time
}

// online is a client connected to the virtual server.
type online struct {
	clid, dbid, cid int
}

// ErrInvalidKey is Redeem's answer to a key the server does not have.
var ErrInvalidKey = errors.New("teamspeaksim: invalid privilege key")

// ErrNoClient is a hook's answer for a client database id the server does
// not have.
var ErrNoClient = errors.New("teamspeaksim: no such client")

// randomUID makes a client unique identifier as TeamSpeak shows them: the
// base64 of a 20-byte SHA-1 of the client's public key.
func randomUID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

// randomToken makes a privilege key as the server does: 40 characters of
// letters, digits and "+".
func randomToken() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return strings.ReplaceAll(base64.StdEncoding.EncodeToString(b), "/", "+")
}

// AddGroup makes a server group and gives its sgid.
func (s *Server) AddGroup(name string, typ int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addGroup(name, typ)
}

func (s *Server) addGroup(name string, typ int) int {
	s.nextGroup++
	s.groups[s.nextGroup] = &Group{ID: s.nextGroup, Name: name, Type: typ}
	return s.nextGroup
}

// DeleteGroup deletes a server group, as an admin might by hand.
func (s *Server) DeleteGroup(sgid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, sgid)
	for _, c := range s.clients {
		delete(c.Groups, sgid)
	}
}

// Groups lists the server groups by sgid.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Group
	for _, g := range s.groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int { return a.ID - b.ID })
	return out
}

// GroupID gives the sgid of the group named name, 0 if none.
func (s *Server) GroupID(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if g.Name == name {
			return g.ID
		}
	}
	return 0
}

// AddClient makes a client database record, as a client connecting the
// first time without a key, and gives its database and unique ids.
func (s *Server) AddClient(nickname string) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.addClient(nickname)
	return c.DBID, c.UID
}

func (s *Server) addClient(nickname string) *Client {
	s.nextDBID++
	c := &Client{DBID: s.nextDBID, UID: randomUID(), Nickname: nickname, Created: s.now(), Groups: map[int]bool{},
		Custom: map[string]string{}}
	s.clients[c.DBID] = c
	return c
}

// ClientByDBID gives a copy of a client record.
func (s *Server) ClientByDBID(dbid int) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[dbid]
	if !ok {
		return Client{}, false
	}
	out := *c
	out.Groups, out.Custom = maps.Clone(c.Groups), maps.Clone(c.Custom)
	return out, true
}

// Clients lists the client records by database id.
func (s *Server) Clients() []Client {
	s.mu.Lock()
	ids := slices.Sorted(maps.Keys(s.clients))
	s.mu.Unlock()
	var out []Client
	for _, id := range ids {
		if c, ok := s.ClientByDBID(id); ok {
			out = append(out, c)
		}
	}
	return out
}

// ClientGroups gives the names of a client's server groups, sorted; the
// default group when it has none, as the server shows it.
func (s *Server) ClientGroups(dbid int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[dbid]
	if !ok {
		return nil
	}
	var out []string
	for _, id := range s.groupsOf(c) {
		out = append(out, s.groups[id].Name)
	}
	slices.Sort(out)
	return out
}

// groupsOf gives a client's sgids, the default group when it has none.
func (s *Server) groupsOf(c *Client) []int {
	var ids []int
	for id := range c.Groups {
		if _, ok := s.groups[id]; ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return []int{s.defaultGroup}
	}
	slices.Sort(ids)
	return ids
}

// SetClientGroup puts a client in a group or takes it out, as an admin
// might by hand.
func (s *Server) SetClientGroup(dbid, sgid int, member bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[dbid]
	if !ok {
		return ErrNoClient
	}
	if member {
		c.Groups[sgid] = true
	} else {
		delete(c.Groups, sgid)
	}
	return nil
}

// DeleteClient deletes a client record, as an admin might by hand.
func (s *Server) DeleteClient(dbid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteClient(dbid)
}

func (s *Server) deleteClient(dbid int) {
	delete(s.clients, dbid)
	for clid, o := range s.online {
		if o.dbid == dbid {
			delete(s.online, clid)
		}
	}
}

// Connect puts a client online and gives its connection's clid.
func (s *Server) Connect(dbid int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[dbid]; !ok {
		return 0, ErrNoClient
	}
	return s.connect(dbid), nil
}

func (s *Server) connect(dbid int) int {
	s.nextCLID++
	s.online[s.nextCLID] = &online{clid: s.nextCLID, dbid: dbid, cid: 1}
	return s.nextCLID
}

// Online says whether a client has a connection on the server.
func (s *Server) Online(dbid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.online {
		if o.dbid == dbid {
			return true
		}
	}
	return false
}

// Keys lists the privilege keys, oldest first.
func (s *Server) Keys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Key, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b Key) int { return a.Created.Compare(b.Created) })
	return out
}

// Redeem acts as a TeamSpeak client joining the server for the first time
// with a privilege key: its client record is made with the nickname, put
// in the key's server group, given the key's custom fields, and put
// online; the key is used up. It gives the new record's ids.
func (s *Server) Redeem(token, nickname string) (int, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[token]
	if !ok {
		return 0, "", ErrInvalidKey
	}
	delete(s.keys, token)
	c := s.addClient(nickname)
	if k.Type == 0 {
		if _, ok := s.groups[k.ID1]; ok {
			c.Groups[k.ID1] = true
		}
	}
	for ident, value := range parseCustomSet(k.CustomSet) {
		c.Custom[ident] = value
	}
	s.connect(c.DBID)
	return c.DBID, c.UID, nil
}

// parseCustomSet reads a key's tokencustomset: items split by "|", each
// "ident=<x> value=<y>" with its values escaped once more. What it cannot
// read it leaves out, as the server ignores a malformed set.
func parseCustomSet(set string) map[string]string {
	out := map[string]string{}
	for item := range strings.SplitSeq(set, "|") {
		var ident, value string
		for field := range strings.SplitSeq(item, " ") {
			k, v, _ := strings.Cut(field, "=")
			u, err := unescape(v)
			if err != nil {
				return out
			}
			switch k {
			case "ident":
				ident = u
			case "value":
				value = u
			}
		}
		if ident != "" {
			out[ident] = value
		}
	}
	return out
}

// Stats are the counters tests read.
type Stats struct {
	// Commands counts the commands received, by name (refused ones too).
	Commands map[string]int
	// Adds and Removes count the group changes applied, by "sgid/cldbid".
	Adds, Removes map[string]int
	Floods        int // 524 answers
	Bans          int // flood bans (3331)
	Connections   int // connections accepted
	IdleDrops     int // connections dropped for idleness
}

// Total is the number of commands received.
func (st Stats) Total() int {
	n := 0
	for _, c := range st.Commands {
		n += c
	}
	return n
}

// Stats gives a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Commands, st.Adds, st.Removes = maps.Clone(s.stats.Commands), maps.Clone(s.stats.Adds), maps.Clone(s.stats.Removes)
	return st
}

// change names a group change in Stats.
func change(sgid, dbid int) string { return strconv.Itoa(sgid) + "/" + strconv.Itoa(dbid) }

// Deny makes the server refuse a command for lack of permission (2568),
// as when the query account's group lacks it; allow false lifts it.
func (s *Server) Deny(command string, deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if deny {
		s.denied[command] = true
	} else {
		delete(s.denied, command)
	}
}

// SetDefaultGroup makes another regular group the virtual server's
// default group, as an admin may (virtualserver_default_server_group).
func (s *Server) SetDefaultGroup(sgid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaultGroup = sgid
}
