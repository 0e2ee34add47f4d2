package teamspeak3

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// escaper is SQMAN's escaping table; a strings.Replacer scans once, left
// to right, which is what "the backslash first" amounts to.
var escaper = strings.NewReplacer(`\`, `\\`, `/`, `\/`, ` `, `\s`, `|`, `\p`, "\a", `\a`, "\b", `\b`,
	"\f", `\f`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\v", `\v`)

// Escape makes a value safe in a ServerQuery line.
func Escape(s string) string { return escaper.Replace(s) }

// ErrBadEscape is a backslash the escaping table does not have.
var ErrBadEscape = errors.New("teamspeak3: bad escape sequence")

// Unescape reads a value escaped by the server.
func Unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", ErrBadEscape
		}
		var c byte
		switch s[i] {
		case '\\':
			c = '\\'
		case '/':
			c = '/'
		case 's':
			c = ' '
		case 'p':
			c = '|'
		case 'a':
			c = '\a'
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'v':
			c = '\v'
		default:
			return "", ErrBadEscape
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// Command is one ServerQuery request: `name key=value… -option…`, with
// further items (`|key=value`) for the commands that take lists.
type Command struct {
	Name    string
	Args    []Arg
	More    [][]Arg
	Options []string
}

// Arg is one key=value parameter; the value is escaped when sent.
type Arg struct{ Key, Value string }

// Cmd builds a command from key, value pairs (values are strings or ints).
func Cmd(name string, pairs ...any) Command {
	c := Command{Name: name}
	for i := 0; i+1 < len(pairs); i += 2 {
		c.Args = append(c.Args, Arg{Key: fmt.Sprint(pairs[i]), Value: fmt.Sprint(pairs[i+1])})
	}
	return c
}

// With adds options (without their "-").
func (c Command) With(options ...string) Command {
	c.Options = append(c.Options[:len(c.Options):len(c.Options)], options...)
	return c
}

// String is the line sent, without its "\n".
func (c Command) String() string {
	var b strings.Builder
	b.WriteString(c.Name)
	write := func(args []Arg) {
		for i, a := range args {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(a.Key)
			b.WriteByte('=')
			b.WriteString(Escape(a.Value))
		}
	}
	if len(c.Args) > 0 {
		b.WriteByte(' ')
		write(c.Args)
	}
	for _, item := range c.More {
		b.WriteByte('|')
		write(item)
	}
	for _, o := range c.Options {
		b.WriteString(" -")
		b.WriteString(o)
	}
	return b.String()
}

// Item is one item of a reply: its keys and their unescaped values.
type Item map[string]string

// Int reads an item's integer value; a missing or bad one is an error.
func (it Item) Int(key string) (int, error) {
	v, ok := it[key]
	if !ok {
		return 0, fmt.Errorf("teamspeak3: the reply has no %s", key)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("teamspeak3: the reply's %s is %q: %w", key, v, err)
	}
	return n, nil
}

// ParseItems reads a data line: items split by "|", key=value pairs split
// by spaces and on their first "=" (values may hold "="); a key alone has
// the empty value.
func ParseItems(line string) ([]Item, error) {
	var out []Item
	for raw := range strings.SplitSeq(line, "|") {
		it := Item{}
		for field := range strings.SplitSeq(raw, " ") {
			if field == "" {
				continue
			}
			k, v, _ := strings.Cut(field, "=")
			if k == "" {
				return nil, fmt.Errorf("%w: empty key in %q", ErrBadReply, clip(line))
			}
			u, err := Unescape(v)
			if err != nil {
				return nil, fmt.Errorf("%w: %q: %w", ErrBadReply, clip(line), err)
			}
			it[k] = u
		}
		out = append(out, it)
	}
	return out, nil
}

// ErrBadReply is a line from the server that cannot be read.
var ErrBadReply = errors.New("teamspeak3: malformed reply")

// parseStatus reads a status line ("error id=0 msg=ok …"): nil for
// success, the *Error otherwise. ok false: the line is not a status line.
func parseStatus(line string) (err error, ok bool) {
	rest, found := strings.CutPrefix(line, "error ")
	if !found {
		return nil, false
	}
	items, perr := ParseItems(rest)
	if perr != nil {
		return perr, true
	}
	if len(items) != 1 {
		return fmt.Errorf("%w: status line %q", ErrBadReply, clip(line)), true
	}
	it := items[0]
	id, perr := it.Int("id")
	if perr != nil {
		return fmt.Errorf("%w: status line %q: %w", ErrBadReply, clip(line), perr), true
	}
	if id == 0 {
		return nil, true
	}
	e := &Error{ID: id, Msg: it["msg"]}
	for k, v := range it {
		if k != "id" && k != "msg" {
			if e.Extra == nil {
				e.Extra = map[string]string{}
			}
			e.Extra[k] = v
		}
	}
	return e, true
}

// clip shortens a line quoted in an error.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
