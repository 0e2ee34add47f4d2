package appapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// writeGroups answers 200 with groups as JSON, byte for byte what
// writeJSON gives (encoding/json), written out without reflection: on the
// API's hottest operation, the groups of a character, the encoder's
// reflection was a tenth of Keepstar's own share of the CPU
// (docs/performance.md). TestGroupsJSONIsEncodingJSON and FuzzGroupsJSON
// hold it to encoding/json's output.
func writeGroups(w http.ResponseWriter, groups []Group) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(appendGroupsJSON(make([]byte, 0, 64+160*len(groups)), groups))
}

// appendGroupsJSON appends the JSON of groups (never null: Neucore gives
// an empty list as []).
func appendGroupsJSON(b []byte, groups []Group) []byte {
	b = append(b, '[')
	for i, g := range groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, g.ID, 10)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, g.Name)
		b = append(b, `,"description":`...)
		if g.Description == nil {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, *g.Description)
		}
		b = append(b, `,"visibility":`...)
		b = appendJSONString(b, g.Visibility)
		b = append(b, `,"autoAccept":`...)
		b = strconv.AppendBool(b, g.AutoAccept)
		b = append(b, `,"isDefault":`...)
		b = strconv.AppendBool(b, g.IsDefault)
		b = append(b, `,"isAutoManaged":`...)
		if g.IsAutoManaged == nil {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendBool(b, *g.IsAutoManaged)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONString appends s as encoding/json writes a string: quoted
// as it is when it holds only printable ASCII that needs no escape
// (encoding/json's HTML escaping included: <, > and &), else by
// encoding/json itself, whose rules for control characters, invalid UTF-8
// and U+2028/U+2029 are not repeated here.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s) // a string always encodes
			return append(b, quoted...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
