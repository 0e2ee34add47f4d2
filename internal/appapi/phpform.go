package appapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Neucore's bulk operations read their ids with getIntegerArrayFromBody:
// the parsed body must be a PHP array. Its BodyParams middleware parses a
// body whose Content-Type starts with application/json; for a POST form
// PHP itself fills the parsed body ($_POST). This file reads both the way
// PHP does (phpvalues.go converts the values).

const (
	// maxInputVars is PHP's max_input_vars (its default): the form
	// variables after the first thousand are dropped.
	maxInputVars = 1000
	// maxInputNesting is PHP's max_input_nesting_level: a variable with
	// deeper brackets is dropped.
	maxInputNesting = 64
)

// integerArrayFromBody is Neucore's getIntegerArrayFromBody: the body must
// be a JSON array (with a Content-Type starting with application/json) or a
// POST form; each element becomes an integer as intval makes it, and
// repeats go. ok is false for anything else (Neucore's 400): no or another
// content type, invalid JSON or UTF-8, a JSON object, string, number or
// null, a body too large to read. Unlike idsFromBody it keeps zero and
// negative ids: they find nothing, as in Neucore.
func integerArrayFromBody(r *http.Request) (ids []int64, ok bool) {
	values, ok := bodyValues(r)
	if !ok {
		return nil, false
	}
	seen := make(map[int64]bool, len(values))
	ids = make([]int64, 0, len(values))
	for _, v := range values {
		id := phpIntval(v)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, true
}

// bodyValues gives the values of the parsed body when it is an array.
func bodyValues(r *http.Request) ([]any, bool) {
	contentType := r.Header.Get("Content-Type")
	if strings.HasPrefix(contentType, "application/json") {
		body, err := io.ReadAll(r.Body)
		if err != nil || !utf8.Valid(body) {
			return nil, false // json_decode refuses malformed UTF-8
		}
		return decodeJSONArray(bytes.NewReader(body))
	}
	if r.Method != http.MethodPost {
		return nil, false
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// Slim and PHP look only at what comes before the first ";".
		media = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	switch media {
	case "application/x-www-form-urlencoded":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, false
		}
		return phpPost(urlencodedFields(string(body))), true
	case "multipart/form-data":
		fields, err := multipartFields(r.Body, params["boundary"])
		if err != nil {
			return nil, false
		}
		return phpPost(fields), true
	}
	return nil, false
}

// field is a form field as the client sent it, name and value.
type field struct{ name, value string }

// urlencodedFields splits a form body as PHP does: on "&" only, "+" and
// %XX decoded, a field without "=" having the empty value.
func urlencodedFields(body string) []field {
	var out []field
	for part := range strings.SplitSeq(body, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		out = append(out, field{phpURLDecode(name), phpURLDecode(value)})
	}
	return out
}

// phpURLDecode is PHP's urldecode: "+" is a space, a malformed %XX stays
// as it is.
func phpURLDecode(s string) string {
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '+':
			b.WriteByte(' ')
		case s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// multipartFields reads the fields of a multipart form; files go to PHP's
// $_FILES, not $_POST, so they are skipped.
func multipartFields(body io.Reader, boundary string) ([]field, error) {
	if boundary == "" {
		return nil, errors.New("no boundary")
	}
	mr := multipart.NewReader(body, boundary)
	var out []field
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if p.FileName() != "" || p.FormName() == "" {
			continue
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		out = append(out, field{p.FormName(), string(v)})
	}
}

// phpPost gives the values of $_POST, in its order, as PHP builds it from
// the fields (php_register_variable_ex): leading spaces of a name go,
// spaces and dots become underscores, a later field of the same name
// replaces the earlier's value in its place, a name with brackets ("a[]",
// "a[x]") makes an array (intval 1), fields without a name or nested too
// deep are dropped, and only the first max_input_vars fields count.
func phpPost(fields []field) []any {
	underscores := strings.NewReplacer(" ", "_", ".", "_")
	type entry struct {
		array bool
		value string
	}
	var order []string
	vars := map[string]entry{}
	for i, f := range fields {
		if i >= maxInputVars {
			break
		}
		base, rest, bracket := strings.Cut(strings.TrimLeft(f.name, " "), "[")
		name := underscores.Replace(base)
		if name == "" {
			continue
		}
		array := false
		if bracket {
			switch depth := bracketDepth("[" + rest); {
			case depth < 0:
				// An unclosed bracket is no index: PHP makes it an
				// underscore and keeps the rest of the name.
				name += "_" + strings.NewReplacer(" ", "_", ".", "_", "[", "_").Replace(rest)
			case depth > maxInputNesting:
				continue
			default:
				array = true
			}
		}
		if _, ok := vars[name]; !ok {
			order = append(order, name)
		}
		vars[name] = entry{array: array, value: f.value}
	}
	out := make([]any, len(order))
	for i, name := range order {
		if e := vars[name]; e.array {
			out[i] = []any{e.value}
		} else {
			out[i] = e.value
		}
	}
	return out
}

// bracketDepth counts the indexes of a name's "[a][b]..." as PHP does, or
// gives -1 when the first bracket is not closed.
func bracketDepth(s string) int {
	level, pos := 0, 0
	for {
		level++
		if level > maxInputNesting {
			return level
		}
		end := strings.IndexByte(s[pos+1:], ']')
		if end < 0 {
			if level == 1 {
				return -1
			}
			return level
		}
		pos += end + 2
		if pos >= len(s) || s[pos] != '[' {
			return level
		}
	}
}
