package ice

import (
	"encoding/binary"
	"unicode/utf8"
)

// Encoder appends encoding 1.0 values to a byte slice. Its zero value is
// ready to use; Bytes returns what was written.
type Encoder struct {
	b []byte
}

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.b }

// Bool writes a bool as one byte, 0 or 1.
func (e *Encoder) Bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// Byte writes a byte.
func (e *Encoder) Byte(v byte) { e.b = append(e.b, v) }

// Short writes an int16, little-endian.
func (e *Encoder) Short(v int16) { e.b = binary.LittleEndian.AppendUint16(e.b, uint16(v)) }

// Int writes an int32, little-endian.
func (e *Encoder) Int(v int32) { e.b = binary.LittleEndian.AppendUint32(e.b, uint32(v)) }

// Long writes an int64, little-endian.
func (e *Encoder) Long(v int64) { e.b = binary.LittleEndian.AppendUint64(e.b, uint64(v)) }

// Size writes a size: one byte below 255, else 0xFF and an int32.
func (e *Encoder) Size(n int) {
	if n < 255 {
		e.b = append(e.b, byte(n))
		return
	}
	e.b = append(e.b, 0xFF)
	e.Int(int32(n))
}

// String writes a size and the string's bytes (the caller's UTF-8).
func (e *Encoder) String(s string) {
	e.Size(len(s))
	e.b = append(e.b, s...)
}

// StringSeq writes a sequence of strings.
func (e *Encoder) StringSeq(ss []string) {
	e.Size(len(ss))
	for _, s := range ss {
		e.String(s)
	}
}

// StringDict writes a dictionary string→string, keys in sorted order (as
// ZeroC's implementations, whose dictionaries are ordered maps, do).
func (e *Encoder) StringDict(m map[string]string) {
	keys := sortedKeys(m)
	e.Size(len(keys))
	for _, k := range keys {
		e.String(k)
		e.String(m[k])
	}
}

// Encaps writes an encapsulation (encoding 1.0) around payload.
func (e *Encoder) Encaps(payload []byte) {
	e.Int(int32(len(payload) + 6))
	e.b = append(e.b, 1, 0)
	e.b = append(e.b, payload...)
}

// Identity writes an object identity: name, then category.
func (e *Encoder) Identity(id Identity) {
	e.String(id.Name)
	e.String(id.Category)
}

// facet writes a facet as encoding 1.0 does: an empty sequence for the
// default facet, else a sequence of one.
func (e *Encoder) facet(f string) {
	if f == "" {
		e.Size(0)
		return
	}
	e.Size(1)
	e.String(f)
}

// Decoder reads encoding 1.0 values from a byte slice. Every read checks
// its bounds and returns an error wrapping ErrMalformed rather than
// panicking, whatever the input. It is strict: the non-canonical forms Ice
// never writes (a long size form for a value below 255, a bool byte other
// than 0 or 1, invalid UTF-8) are refused, so what decodes re-encodes to the
// same bytes (dictionaries aside, which re-encode with their keys sorted).
type Decoder struct {
	b   []byte
	pos int
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Len returns the number of bytes not yet read.
func (d *Decoder) Len() int { return len(d.b) - d.pos }

// Finish returns an error unless every byte was read.
func (d *Decoder) Finish() error {
	if d.Len() != 0 {
		return malformed("%d bytes left over", d.Len())
	}
	return nil
}

func (d *Decoder) take(n int, what string) ([]byte, error) {
	if n < 0 || n > d.Len() {
		return nil, malformed("%s: need %d bytes, %d left", what, n, d.Len())
	}
	b := d.b[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

// Bool reads a bool.
func (d *Decoder) Bool() (bool, error) {
	b, err := d.take(1, "bool")
	if err != nil {
		return false, err
	}
	if b[0] > 1 {
		return false, malformed("bool byte %d", b[0])
	}
	return b[0] == 1, nil
}

// Byte reads a byte.
func (d *Decoder) Byte() (byte, error) {
	b, err := d.take(1, "byte")
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// Short reads an int16.
func (d *Decoder) Short() (int16, error) {
	b, err := d.take(2, "short")
	if err != nil {
		return 0, err
	}
	return int16(binary.LittleEndian.Uint16(b)), nil
}

// Int reads an int32.
func (d *Decoder) Int() (int32, error) {
	b, err := d.take(4, "int")
	if err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

// Long reads an int64.
func (d *Decoder) Long() (int64, error) {
	b, err := d.take(8, "long")
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// Size reads a size. It is never negative and never more than the bytes
// left, since every element of a sequence takes at least one byte; that
// bounds any allocation made from it.
func (d *Decoder) Size() (int, error) {
	b, err := d.Byte()
	if err != nil {
		return 0, err
	}
	if b < 255 {
		return d.checkSize(int(b))
	}
	v, err := d.Int()
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, malformed("negative size %d", v)
	}
	if v < 255 {
		return 0, malformed("size %d in the long form", v)
	}
	return d.checkSize(int(v))
}

func (d *Decoder) checkSize(n int) (int, error) {
	if n > d.Len() {
		return 0, malformed("size %d exceeds the %d bytes left", n, d.Len())
	}
	return n, nil
}

// String reads a UTF-8 string.
func (d *Decoder) String() (string, error) {
	n, err := d.Size()
	if err != nil {
		return "", err
	}
	b, err := d.take(n, "string")
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", malformed("string is not UTF-8")
	}
	return string(b), nil
}

// StringSeq reads a sequence of strings.
func (d *Decoder) StringSeq() ([]string, error) {
	n, err := d.Size()
	if err != nil {
		return nil, err
	}
	ss := make([]string, 0, n)
	for range n {
		s, err := d.String()
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// StringDict reads a dictionary string→string. A key seen twice is
// refused. Any order is accepted: ZeroC's C++ writes keys sorted (its
// dictionaries are ordered maps), other implementations need not.
func (d *Decoder) StringDict() (map[string]string, error) {
	n, err := d.Size()
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, n)
	for range n {
		k, err := d.String()
		if err != nil {
			return nil, err
		}
		if _, ok := m[k]; ok {
			return nil, malformed("dictionary key %q repeated", k)
		}
		v, err := d.String()
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// Encaps reads an encapsulation of encoding 1.0 and returns its payload (a
// slice of the decoder's input).
func (d *Decoder) Encaps() ([]byte, error) {
	size, err := d.Int()
	if err != nil {
		return nil, err
	}
	if size < 6 || int64(size)-4 > int64(d.Len()) {
		return nil, malformed("encapsulation size %d with %d bytes left", size, d.Len())
	}
	v, err := d.take(2, "encapsulation encoding")
	if err != nil {
		return nil, err
	}
	if v[0] != 1 || v[1] != 0 {
		return nil, malformed("encapsulation encoding %d.%d", v[0], v[1])
	}
	return d.take(int(size)-6, "encapsulation")
}

// Identity reads an object identity.
func (d *Decoder) Identity() (Identity, error) {
	name, err := d.String()
	if err != nil {
		return Identity{}, err
	}
	cat, err := d.String()
	if err != nil {
		return Identity{}, err
	}
	return Identity{Name: name, Category: cat}, nil
}

func (d *Decoder) facet() (string, error) {
	n, err := d.Size()
	if err != nil {
		return "", err
	}
	switch n {
	case 0:
		return "", nil
	case 1:
		f, err := d.String()
		if err != nil {
			return "", err
		}
		if f == "" {
			return "", malformed("empty facet written as a facet")
		}
		return f, nil
	}
	return "", malformed("facet path of %d elements", n)
}
