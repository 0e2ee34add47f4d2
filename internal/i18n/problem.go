package i18n

import (
	"fmt"
	"strings"
)

// Message is a message of the catalogue with its arguments, said later in
// the language of whoever reads it: a validator does not know who that is,
// the page that shows its findings does.
type Message struct {
	ID string
	// Args are key, value pairs as Localizer.T takes them; a value that is
	// itself a Message is said first (a field's name inside a problem).
	Args []any
}

// M makes a Message.
func M(id string, args ...any) Message { return Message{ID: id, Args: args} }

// Say gives m in the localizer's language.
func (l *Localizer) Say(m Message) string {
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		if inner, ok := a.(Message); ok {
			a = l.Say(inner)
		}
		args[i] = a
	}
	return l.T(m.ID, args...)
}

// Problem is one thing wrong with an input: the field it is about ("" for
// the input as a whole), and what is wrong as a Message. The same problem
// serves the HTML form, which shows it beside the field, and a JSON route.
type Problem struct {
	Field string
	Message
}

// Problems are every problem of an input at once, as a validator finds
// them.
type Problems []Problem

// Add appends a problem of field.
func (ps *Problems) Add(field, id string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Message: M(id, args...)})
}

// Problems gives the problems in the localizer's language, in order.
func (l *Localizer) Problems(ps Problems) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, l.Say(p.Message))
	}
	return out
}

// Err gives the refusal of an input with these problems, wrapping
// sentinel (so that errors.Is tells it apart); nil when there are none.
func (ps Problems) Err(sentinel error) error {
	if len(ps) == 0 {
		return nil
	}
	return &InvalidError{Sentinel: sentinel, Problems: ps}
}

// InvalidError is a store's refusal of an input, with its problems for the
// page to translate (errors.As).
type InvalidError struct {
	Sentinel error
	Problems Problems
}

// Error names the problems by their message ids, the words being the
// reader's language's, which an error does not know.
func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString(e.Sentinel.Error())
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.ID)
		for j := 0; j+1 < len(p.Args); j += 2 {
			arg := p.Args[j+1]
			if m, ok := arg.(Message); ok {
				arg = m.ID
			}
			fmt.Fprintf(&b, " %v=%q", p.Args[j], fmt.Sprint(arg))
		}
	}
	return b.String()
}

func (e *InvalidError) Unwrap() error { return e.Sentinel }
