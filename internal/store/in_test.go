package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

func TestPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		from, n int
		want    string
	}{{1, 0, ""}, {1, 1, "$1"}, {4, 3, "$4, $5, $6"}} {
		if got := store.Placeholders(tc.from, tc.n); got != tc.want {
			t.Errorf("Placeholders(%d, %d) = %q, want %q", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestIn(t *testing.T) {
	list, args := store.In([]int32{7, 8}, "a")
	if list != "$2, $3" || fmt.Sprint(args) != "[a 7 8]" {
		t.Errorf("after one argument: %q %v", list, args)
	}
	list, args = store.In([]string{"x"})
	if list != "$1" || fmt.Sprint(args) != "[x]" {
		t.Errorf("alone: %q %v", list, args)
	}
}

// Args never writes into the caller's before, which may have room to
// spare: two statements built from one prefix keep their own values.
func TestArgsCopiesBefore(t *testing.T) {
	before := make([]any, 1, 8)
	before[0] = "p"
	a := store.Args([]int{1, 2}, before...)
	b := store.Args([]int{3, 4}, before...)
	if fmt.Sprint(a) != "[p 1 2]" || fmt.Sprint(b) != "[p 3 4]" {
		t.Errorf("a = %v, b = %v", a, b)
	}
}

func TestInChunksBoundaries(t *testing.T) {
	for _, n := range []int{0, 1, store.InChunk - 1, store.InChunk, store.InChunk + 1, 2 * store.InChunk, 2*store.InChunk + 1} {
		values := make([]int, n)
		for i := range values {
			values[i] = i
		}
		var sizes []int
		next := 0
		for list, args := range store.InChunks(values, "before") {
			size := len(args) - 1
			sizes = append(sizes, size)
			if want := store.Placeholders(2, size); list != want {
				t.Fatalf("n=%d: list %q, want %q", n, list, want)
			}
			if args[0] != "before" {
				t.Fatalf("n=%d: args start with %v", n, args[0])
			}
			for _, v := range args[1:] {
				if v != next {
					t.Fatalf("n=%d: value %v, want %d", n, v, next)
				}
				next++
			}
		}
		if next != n {
			t.Errorf("n=%d: %d values given", n, next)
		}
		if want := (n + store.InChunk - 1) / store.InChunk; len(sizes) != want {
			t.Errorf("n=%d: chunks %v, want %d of them", n, sizes, want)
		}
		for _, s := range sizes {
			if s < 1 || s > store.InChunk {
				t.Errorf("n=%d: chunk of %d", n, s)
			}
		}
	}
	// Leaving the loop early stops the iterator (one that went on would
	// make the range panic).
	for range store.InChunks(make([]int, 3*store.InChunk)) {
		break
	}
}

// Each chunk is one statement both engines run, with the arguments before
// the list bound to the numbers the list leaves them.
func TestInChunksRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		numbers(t, db, 2*store.InChunk+1)
		for _, n := range []int{store.InChunk, store.InChunk + 1, 2*store.InChunk + 1} {
			ids := make([]int64, n)
			for i := range ids {
				ids[i] = int64(i + 1)
			}
			ctx, statements := store.CountQueries(context.Background())
			found := 0
			for list, args := range store.InChunks(ids, 2, "x") {
				var c int
				if err := db.QueryRow(ctx, `SELECT count(*) FROM numbers WHERE n >= $1 AND $2 = 'x' AND n IN (`+list+`)`,
					args...).Scan(&c); err != nil {
					t.Fatalf("n=%d: %v", n, err)
				}
				found += c
			}
			if found != n-1 {
				t.Errorf("n=%d: found %d, want %d", n, found, n-1)
			}
			if want := int64((n + store.InChunk - 1) / store.InChunk); statements.Load() != want {
				t.Errorf("n=%d: %d statements, want %d", n, statements.Load(), want)
			}
		}
	})
}
