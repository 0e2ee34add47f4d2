package teamspeaksim

import (
	"errors"
	"strings"
)

// escaper and unescaper are SQMAN's escaping table. strings.Replacer scans
// left to right in one pass, which is what "escape the backslash first,
// unescape it last" amounts to.
var (
	escaper = strings.NewReplacer(`\`, `\\`, `/`, `\/`, ` `, `\s`, `|`, `\p`, "\a", `\a`, "\b", `\b`,
		"\f", `\f`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\v", `\v`)
)

// escape makes a value safe in a line.
func escape(s string) string { return escaper.Replace(s) }

// errBadEscape is a backslash followed by nothing or by a letter the table
// does not have.
var errBadEscape = errors.New("teamspeaksim: bad escape")

// unescape reads an escaped value.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			return "", errBadEscape
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case '/':
			b.WriteByte('/')
		case 's':
			b.WriteByte(' ')
		case 'p':
			b.WriteByte('|')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		default:
			return "", errBadEscape
		}
	}
	return b.String(), nil
}

// command is one request line read: its name, its items (one for most
// commands, several for "clid=1|clid=2"), and its options (-uid).
type command struct {
	name    string
	items   []map[string]string
	options map[string]bool
}

// arg is the first item's parameter key.
func (c command) arg(key string) (string, bool) {
	v, ok := c.items[0][key]
	return v, ok
}

// errBadLine is a line that is no command.
var errBadLine = errors.New("teamspeaksim: malformed command")

// parseCommand reads a request line: `name key=value -option|key=value`.
// Command names are [a-z0-9_]; values are unescaped; a key without "="
// has the empty value, as the server takes it.
func parseCommand(line string) (command, error) {
	line = strings.Trim(line, " \r")
	name, rest, _ := strings.Cut(line, " ")
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) {
		return command{}, errBadLine
	}
	c := command{name: name, options: map[string]bool{}}
	for item := range strings.SplitSeq(rest, "|") {
		m := map[string]string{}
		for field := range strings.SplitSeq(item, " ") {
			if field == "" {
				continue
			}
			if opt, ok := strings.CutPrefix(field, "-"); ok && !strings.Contains(field, "=") {
				c.options[opt] = true
				continue
			}
			k, v, _ := strings.Cut(field, "=")
			if k == "" {
				return command{}, errBadLine
			}
			u, err := unescape(v)
			if err != nil {
				return command{}, err
			}
			m[k] = u
		}
		c.items = append(c.items, m)
	}
	return c, nil
}

// reply is a reply's data: items of ordered key=value pairs.
type reply [][]kv

type kv struct{ k, v string }

// format writes the data lines of a reply (nothing when empty).
func (r reply) format() string {
	if len(r) == 0 {
		return ""
	}
	var b strings.Builder
	for i, item := range r {
		if i > 0 {
			b.WriteByte('|')
		}
		for j, p := range item {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p.k)
			b.WriteByte('=')
			b.WriteString(escape(p.v))
		}
	}
	b.WriteString("\n\r")
	return b.String()
}
