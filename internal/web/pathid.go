package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// PathID reads the path value name ("id" of "/admin/states/{id}") as an
// id, a positive number. When it is none, it answers 404 with message (an
// id of the catalogue: what does not exist) and ok is false.
func (s *Server) PathID(w http.ResponseWriter, r *http.Request, name, message string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		s.Fail(w, r, http.StatusNotFound, message)
		return 0, false
	}
	return id, true
}

// Load reads the row the path value name points to with get, answering
// itself when there is none: 404 with message when the value is no id or
// get's error wraps notFound (the store's ErrNotFound), 500 for any other
// error. ok is false after either.
func Load[T any](s *Server, w http.ResponseWriter, r *http.Request, name string,
	get func(ctx context.Context, id int64) (T, error), notFound error, message string) (T, bool) {
	var zero T
	id, ok := s.PathID(w, r, name, message)
	if !ok {
		return zero, false
	}
	row, err := get(r.Context(), id)
	switch {
	case errors.Is(err, notFound):
		s.Fail(w, r, http.StatusNotFound, message)
		return zero, false
	case err != nil:
		s.Internal(w, r, err)
		return zero, false
	}
	return row, true
}
