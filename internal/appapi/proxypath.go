package appapi

import (
	"strings"
)

// maxESIPath bounds a proxied path: ESI's longest route, filled in with
// int64 ids and a legacy version, is under 150 bytes.
const maxESIPath = 512

// cleanESIPath reads the ESI path of a proxied call as it came, still
// percent-encoded, and gives it decoded, or ok false when ESI's routes
// could not have it:
//   - an encoded slash, backslash, dot or percent sign (%2F, %5C, %2E, %25):
//     a segment that ESI, or a proxy before it, would decode into another
//     path than the one checked here;
//   - a dot segment ("." or ".."), which ESI's server would resolve into
//     another route than the one the public-route refusal and the limits
//     saw, or an empty one ("//"): only the last segment may be empty, the
//     trailing slash of the legacy spellings;
//   - any byte but RFC 3986's unreserved ones (letters, digits, "-._~")
//     and "/", once decoded: control characters, spaces, "?" "#" ";", and
//     anything outside ASCII. ESI's paths hold ids, hashes and UUIDs only.
//
// A path without its leading slash gets one (esi-path-query "characters/1").
// The path otherwise goes to ESI as the app wrote it, legacy version prefix
// and trailing slash included: those select what ESI answers.
func cleanESIPath(escaped string) (path string, ok bool) {
	if !strings.HasPrefix(escaped, "/") {
		escaped = "/" + escaped
	}
	if len(escaped) > maxESIPath {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(escaped))
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		if c == '%' {
			if i+2 >= len(escaped) {
				return "", false
			}
			hi, ok1 := unhex(escaped[i+1])
			lo, ok2 := unhex(escaped[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			c = hi<<4 | lo
			i += 2
			if c == '/' || c == '\\' || c == '.' || c == '%' {
				return "", false
			}
		}
		if c != '/' && !unreserved(c) {
			return "", false
		}
		b.WriteByte(c)
	}
	path = b.String()
	segments := strings.Split(path[1:], "/")
	for i, s := range segments {
		if s == "." || s == ".." || (s == "" && i < len(segments)-1) {
			return "", false
		}
	}
	return path, true
}

// unreserved tells RFC 3986's unreserved characters.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
