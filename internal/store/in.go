package store

import (
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/config"
)

// InChunk bounds the values of one IN list that InChunks makes. Both
// engines limit the parameters of a statement (SQLite to 32,766, or 999
// when built before 3.32; PostgreSQL to 65,535), and SQLite looks each
// "$N" up by a linear search (see Marks), so a list of thousands is
// better cut into several statements.
const InChunk = 500

// In gives an IN list for values in a statement whose other arguments,
// before, come first: the inside of the list's ( ), as $N placeholders
// numbered after before's, and the statement's arguments, before then
// values. Values must not be empty (PostgreSQL refuses IN ()); a list that
// may grow to thousands goes through InChunks. Statements where SQLite's
// cost of $N counts (the recomputation's bulk writes, the Application
// API's lists of a thousand ids) use Marks with Args instead: the same
// arguments, "?" placeholders on SQLite.
func In[T any](values []T, before ...any) (string, []any) {
	return Placeholders(len(before)+1, len(values)), Args(values, before...)
}

// InChunks gives values as In does, InChunk at a time: one statement per
// list it yields. It yields nothing for no values.
func InChunks[T any](values []T, before ...any) iter.Seq2[string, []any] {
	return func(yield func(string, []any) bool) {
		for part := range slices.Chunk(values, InChunk) {
			if !yield(In(part, before...)) {
				return
			}
		}
	}
}

// Args gives the arguments of a statement: before, then every value of a
// typed slice, which Query and Exec take only as []any.
func Args[T any](values []T, before ...any) []any {
	args := make([]any, 0, len(before)+len(values))
	args = append(args, before...)
	for _, v := range values {
		args = append(args, v)
	}
	return args
}

// Placeholders gives "$from, $from+1, ..." for n values, for an IN list of a
// length known only at run time (both engines bind $N; SQLite has no
// arrays). Callers bound n: an IN list of thousands is better chunked.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// Marks gives the placeholders of n values numbered from from, as
// Placeholders does, for long lists (bulk inserts, IN lists of hundreds).
// On SQLite they are plain "?": SQLite numbers each after the largest
// number used before it, so from must follow the statement's earlier
// placeholders $1..$from-1. SQLite resolves "$N" as a name, by a linear
// search for every placeholder, which makes a statement of hundreds of
// them cost seconds; "?" costs nothing.
func Marks(d config.Dialect, from, n int) string {
	if d != config.SQLite {
		return Placeholders(from, n)
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
