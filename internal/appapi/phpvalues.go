package appapi

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Neucore reads ids from paths, query strings and bodies with PHP's integer
// conversion, which takes what it can and never fails: "12abc" is 12, "abc"
// is 0, a missing parameter is 0. Clients rely on the outcome (an unknown
// id, not a 400), so Keepstar converts the same way.

// phpNumericPrefix is the leading number PHP's (int) cast reads of a
// string: whitespace, a sign, digits with an optional fraction and
// exponent.
var phpNumericPrefix = regexp.MustCompile(`^[ \t\n\r\v\f]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)`)

// phpInt is PHP's (int) cast of a string.
func phpInt(s string) int64 {
	// The usual id, plain digits too few to overflow, is read without the
	// regular expression, to the same number.
	if n, ok := plainDigits(s); ok {
		return n
	}
	return phpNumericInt(s)
}

// phpNumericInt is phpInt for any string: the leading number PHP reads.
func phpNumericInt(s string) int64 {
	m := phpNumericPrefix.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	number := m[1]
	if !strings.ContainsAny(number, ".eE") {
		n, err := strconv.ParseInt(number, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			// PHP saturates integer strings that overflow.
			if strings.HasPrefix(number, "-") {
				return math.MinInt64
			}
			return math.MaxInt64
		}
		return n
	}
	f, err := strconv.ParseFloat(number, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0
	}
	// A float string beyond the integers saturates too
	// (zend_dval_to_lval_cap).
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f < math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// phpFloatInt is PHP's (int) cast of a float: truncated toward zero; NaN,
// infinities and floats beyond the integers are 0.
func phpFloatInt(f float64) int64 {
	if math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0
	}
	return int64(f)
}

// plainDigits reads s when it is 1 to 18 ASCII digits, which no int64
// overflows.
func plainDigits(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// phpIntval is PHP's intval of a value json_decode gave: numbers truncated,
// strings as (int) reads them, true 1, false and null 0, an array 1 unless
// empty, an object 1.
func phpIntval(v any) int64 {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, err := v.Float64()
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0
		}
		return phpFloatInt(f)
	case string:
		return phpInt(v)
	case bool:
		if v {
			return 1
		}
		return 0
	case []any:
		if len(v) > 0 {
			return 1
		}
		return 0
	case map[string]any:
		return 1
	default:
		return 0
	}
}

// decodeJSONArray reads a whole body that is one JSON array; ok is false
// for invalid JSON, any other value, or anything after the array.
func decodeJSONArray(body io.Reader) (values []any, ok bool) {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	values, ok = v.([]any)
	return values, ok
}
