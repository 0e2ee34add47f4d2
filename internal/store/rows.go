package store

import "context"

// Each runs query and calls fn for every row it selects, stopping at the
// first error, which it returns as it is: callers add their own context.
func Each(ctx context.Context, q Querier, query string, fn func(Rows) error, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Collect runs query and gives a T for every row, in the order selected,
// each filled in by scan from a zero T; nil when it selects nothing.
func Collect[T any](ctx context.Context, q Querier, query string, scan func(Rows, *T) error, args ...any) ([]T, error) {
	var out []T
	err := Each(ctx, q, query, func(rows Rows) error {
		var v T
		if err := scan(rows, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Column runs a query that selects one column and gives its values, in
// the order selected; nil when it selects nothing.
func Column[T any](ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	return Collect(ctx, q, query, func(rows Rows, v *T) error { return rows.Scan(v) }, args...)
}
