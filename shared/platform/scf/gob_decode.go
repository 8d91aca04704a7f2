package scf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// gobDecoder reads the values a gob encoder sends on one stream. It decodes structs into
// gobStructs, matching fields by name as encoding/gob does, and skips (or discards) values
// of every gob kind. Errors leave the stream unusable: the caller closes the connection.
type gobDecoder struct {
	r        *bufio.Reader
	msg      []byte // the unread rest of the current message
	types    map[int64]*gobType
	complete map[int64]bool // types whose definition graph is known to be fully defined
	budget   int            // of maxTypeBytes
}

func newGobDecoder(r *bufio.Reader) *gobDecoder {
	return &gobDecoder{r: r, types: make(map[int64]*gobType), complete: make(map[int64]bool), budget: maxTypeBytes}
}

var (
	errGobShort = errors.New("scf: gob: data runs past the end of its message")
	errGobUint  = errors.New("scf: gob: invalid unsigned integer")
	errGobDepth = fmt.Errorf("scf: gob: values nested more than %d deep: %w", maxDepth, errGobLimit)
)

// decode reads the next value, which must be a struct, into dst. A nil dst is an empty
// struct: every field is skipped. As in encoding/gob, a field whose name dst has must have a
// compatible type, and a value none of whose fields dst has is an error.
func (d *gobDecoder) decode(dst gobStruct) error {
	id, err := d.typeSequence(false)
	if err != nil {
		return err
	}
	t := d.types[id]
	if t == nil || t.kind != kindStruct {
		return fmt.Errorf("scf: gob: got a value of type %s, want a struct", d.typeName(id))
	}
	matched, err := d.check(t, dst, 0)
	if err != nil {
		return err
	}
	if dst != nil && matched == 0 && len(t.fields) > 0 {
		return fmt.Errorf("scf: gob: no field of the received %s matches", t.name)
	}
	return d.readStruct(t, dst, 0)
}

// discard reads and drops the next value, whatever its type.
func (d *gobDecoder) discard() error {
	id, err := d.typeSequence(false)
	if err != nil {
		return err
	}
	if err := d.defined(id); err != nil {
		return err
	}
	if t := d.types[id]; t != nil && t.kind == kindStruct {
		return d.readStruct(t, nil, 0)
	}
	// A top-level value that is not a struct is sent as the only field of a struct.
	if delta, err := d.uint(); err != nil {
		return err
	} else if delta != 0 {
		return errors.New("scf: gob: a top-level value that is not a struct must start with a zero delta")
	}
	return d.skip(id, 0)
}

// typeSequence reads type definitions up to the next value and returns its type id. At the
// top level, each definition is a message of its own, and a value starts a new message
// (the unread rest of the previous one is dropped, as encoding/gob drops it). Inside an
// interface value, definitions may follow in the same message, each after a byte count,
// or in the next messages.
func (d *gobDecoder) typeSequence(inInterface bool) (int64, error) {
	if !inInterface {
		d.msg = nil
	}
	for first := true; ; first = false {
		if len(d.msg) == 0 {
			if err := d.readMessage(); err != nil {
				if err == io.EOF && (inInterface || !first) {
					err = io.ErrUnexpectedEOF
				}
				return 0, err
			}
		}
		id, err := d.int()
		if err != nil {
			return 0, err
		}
		if id >= 0 {
			return id, nil
		}
		if err := d.defineType(-id); err != nil {
			return 0, err
		}
		if len(d.msg) > 0 {
			if !inInterface {
				return 0, errors.New("scf: gob: data after a type definition")
			}
			if _, err := d.uint(); err != nil { // the byte count of what follows
				return 0, err
			}
		}
	}
}

// readMessage reads the next message into d.msg. It returns io.EOF only if the stream
// ends before the message starts.
func (d *gobDecoder) readMessage() error {
	n, err := d.readCount()
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("scf: gob: empty message")
	}
	if n > maxMessage {
		return fmt.Errorf("scf: gob: a message of %d bytes exceeds %d bytes: %w", n, maxMessage, errGobLimit)
	}
	buf := make([]byte, min(n, firstChunk))
	if _, err := io.ReadFull(d.r, buf); err != nil {
		return unexpectedEOF(err)
	}
	if n > firstChunk {
		full := make([]byte, n)
		copy(full, buf)
		if _, err := io.ReadFull(d.r, full[firstChunk:]); err != nil {
			return unexpectedEOF(err)
		}
		buf = full
	}
	d.msg = buf
	return nil
}

// readCount reads a message's byte count from the stream.
func (d *gobDecoder) readCount() (uint64, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, err
	}
	if b < 0x80 {
		return uint64(b), nil
	}
	n := -int(int8(b))
	if n > 8 {
		return 0, errGobUint
	}
	var x uint64
	for range n {
		c, err := d.r.ReadByte()
		if err != nil {
			return 0, unexpectedEOF(err)
		}
		x = x<<8 | uint64(c)
	}
	return x, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (d *gobDecoder) uint() (uint64, error) {
	if len(d.msg) == 0 {
		return 0, errGobShort
	}
	b := d.msg[0]
	if b < 0x80 {
		d.msg = d.msg[1:]
		return uint64(b), nil
	}
	n := -int(int8(b))
	if n > 8 {
		return 0, errGobUint
	}
	if len(d.msg) <= n {
		return 0, errGobShort
	}
	var x uint64
	for _, c := range d.msg[1 : 1+n] {
		x = x<<8 | uint64(c)
	}
	d.msg = d.msg[1+n:]
	return x, nil
}

func (d *gobDecoder) int() (int64, error) {
	x, err := d.uint()
	if x&1 != 0 {
		return ^int64(x >> 1), err
	}
	return int64(x >> 1), err
}

// bytes reads a byte string. The result aliases the message, which is never reused.
func (d *gobDecoder) bytes() ([]byte, error) {
	n, err := d.uint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(d.msg)) {
		return nil, errGobShort
	}
	b := d.msg[:n:n]
	d.msg = d.msg[n:]
	return b, nil
}

// fields calls f with the number of each field present in the struct at d.msg, of a type
// with n fields. As in encoding/gob, a struct also ends with its message.
func (d *gobDecoder) fields(n int, f func(field int) error) error {
	field := -1
	for len(d.msg) > 0 {
		delta, err := d.uint()
		if err != nil {
			return err
		}
		if delta == 0 {
			return nil
		}
		if delta > uint64(n-1-field) {
			return errors.New("scf: gob: struct field number out of range")
		}
		field += int(delta)
		if err := f(field); err != nil {
			return err
		}
	}
	return nil
}

// defineType reads the definition of type id: a value of gob's wireType, a struct with
// one field per kind (ArrayT, SliceT, StructT, MapT, GobEncoderT, BinaryMarshalerT,
// TextMarshalerT), each a struct that starts with a CommonType{Name string; Id int}.
func (d *gobDecoder) defineType(id int64) error {
	if id < gobFirstUser || d.types[id] != nil {
		return fmt.Errorf("scf: gob: duplicate or reserved type id %d", id)
	}
	if len(d.types) >= maxTypes {
		return fmt.Errorf("scf: gob: more than %d types: %w", maxTypes, errGobLimit)
	}
	t := new(gobType)
	err := d.fields(7, func(kind int) error {
		if t.kind != 0 {
			return errors.New("scf: gob: a type definition of two kinds")
		}
		switch kind {
		case 0:
			t.kind = kindArray
			return d.fields(3, func(f int) error { // CommonType, Elem, Len
				return d.typeField(t, f, &t.elem, &t.len)
			})
		case 1:
			t.kind = kindSlice
			return d.fields(2, func(f int) error { // CommonType, Elem
				return d.typeField(t, f, &t.elem, nil)
			})
		case 2:
			t.kind = kindStruct
			return d.fields(2, func(f int) error { // CommonType, Field []fieldType
				if f == 0 {
					return d.typeField(t, f, nil, nil)
				}
				return d.fieldTypes(t)
			})
		case 3:
			t.kind = kindMap
			return d.fields(3, func(f int) error { // CommonType, Key, Elem
				return d.typeField(t, f, &t.key, &t.elem)
			})
		default:
			t.kind = kindMarshaled
			return d.fields(1, func(f int) error { return d.typeField(t, f, nil, nil) }) // CommonType
		}
	})
	if err != nil {
		return err
	}
	if t.kind == 0 {
		return errors.New("scf: gob: a type definition of no kind")
	}
	if err := d.spend(64 + len(t.name)); err != nil {
		return err
	}
	d.types[id] = t
	return nil
}

// typeField reads field f of an arrayType, sliceType or mapType (or the CommonType of any
// type): 0 is the CommonType, 1 the int stored in *a, 2 the int stored in *b.
func (d *gobDecoder) typeField(t *gobType, f int, a, b *int64) error {
	var err error
	switch {
	case f == 0:
		err = d.fields(2, func(f int) error { // Name string, Id int
			if f == 0 {
				name, err := d.bytes()
				t.name = string(name)
				return err
			}
			_, err := d.int()
			return err
		})
	case f == 1 && a != nil:
		*a, err = d.int()
	case f == 2 && b != nil:
		*b, err = d.int()
	default:
		err = errors.New("scf: gob: malformed type definition")
	}
	return err
}

// fieldTypes reads a structType's Field, a []fieldType{Name string; Id int}.
func (d *gobDecoder) fieldTypes(t *gobType) error {
	n, err := d.uint()
	if err != nil {
		return err
	}
	if n > uint64(len(d.msg)) {
		return errGobShort
	}
	t.fields = make([]gobFieldType, 0, min(n, 64))
	for range n {
		var f gobFieldType
		err := d.fields(2, func(i int) error {
			if i == 0 {
				name, err := d.bytes()
				f.name = string(name)
				return err
			}
			var err error
			f.id, err = d.int()
			return err
		})
		if err == nil {
			err = d.spend(16 + len(f.name))
		}
		if err != nil {
			return err
		}
		t.fields = append(t.fields, f)
	}
	return nil
}

func (d *gobDecoder) spend(n int) error {
	if d.budget -= n; d.budget < 0 {
		return fmt.Errorf("scf: gob: type definitions over %d bytes: %w", maxTypeBytes, errGobLimit)
	}
	return nil
}

func (d *gobDecoder) typeName(id int64) string {
	switch {
	case id >= gobBool && id <= gobInterface:
		return [...]string{"bool", "int", "uint", "float", "[]byte", "string", "complex", "interface"}[id-1]
	case d.types[id] != nil:
		return fmt.Sprintf("%q", d.types[id].name)
	}
	return fmt.Sprintf("id %d (undefined)", id)
}

// check compiles, in effect, the decoding of struct type t into dst (nil: an empty struct),
// as encoding/gob does before it decodes: every field dst has must be compatible, and the
// types of the others must be defined. It returns how many fields dst has.
func (d *gobDecoder) check(t *gobType, dst gobStruct, depth int) (matched int, err error) {
	if depth > maxDepth {
		return 0, errGobDepth
	}
	for _, f := range t.fields {
		if f.name == "" {
			return 0, fmt.Errorf("scf: gob: a field without a name in %q", t.name)
		}
		var p any
		if dst != nil {
			p = dst.gobField(f.name)
		}
		if p == nil {
			if err := d.defined(f.id); err != nil {
				return 0, err
			}
			continue
		}
		matched++
		want := int64(0)
		switch p := p.(type) {
		case *string:
			want = gobString
		case *[]byte:
			want = gobBytes
		case *int64, *int32:
			want = gobInt
		case *uint64:
			want = gobUint
		case gobStruct:
			if ft := d.types[f.id]; ft != nil && ft.kind == kindStruct {
				if _, err := d.check(ft, p, depth+1); err != nil {
					return 0, err
				}
				continue
			}
		}
		if f.id != want || want == 0 {
			return 0, fmt.Errorf("scf: gob: field %s.%s has type %s, want %T", t.name, f.name, d.typeName(f.id), p)
		}
	}
	return matched, nil
}

// defined checks that type id and every type it refers to are defined.
func (d *gobDecoder) defined(id int64) error {
	seen := make(map[int64]bool)
	if err := d.walk(id, seen, 0); err != nil {
		return err
	}
	for id := range seen {
		d.complete[id] = true
	}
	return nil
}

func (d *gobDecoder) walk(id int64, seen map[int64]bool, depth int) error {
	if (id >= gobBool && id <= gobInterface) || d.complete[id] || seen[id] {
		return nil
	}
	t := d.types[id]
	if t == nil {
		return fmt.Errorf("scf: gob: undefined type id %d", id)
	}
	if depth > maxDepth {
		return errGobDepth
	}
	seen[id] = true
	switch t.kind {
	case kindArray, kindSlice:
		return d.walk(t.elem, seen, depth+1)
	case kindMap:
		if err := d.walk(t.key, seen, depth+1); err != nil {
			return err
		}
		return d.walk(t.elem, seen, depth+1)
	case kindStruct:
		for _, f := range t.fields {
			if f.name == "" {
				return fmt.Errorf("scf: gob: a field without a name in %q", t.name)
			}
			if err := d.walk(f.id, seen, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// readStruct reads a value of struct type t (already checked against dst) into dst.
func (d *gobDecoder) readStruct(t *gobType, dst gobStruct, depth int) error {
	if depth > maxDepth {
		return errGobDepth
	}
	return d.fields(len(t.fields), func(i int) error {
		f := t.fields[i]
		var p any
		if dst != nil {
			p = dst.gobField(f.name)
		}
		var err error
		switch p := p.(type) {
		case nil:
			err = d.skip(f.id, depth+1)
		case *string:
			var b []byte
			b, err = d.bytes()
			*p = string(b)
		case *[]byte:
			*p, err = d.bytes()
			if len(*p) == 0 {
				*p = nil // as encoding/gob leaves an empty one
			}
		case *int64:
			*p, err = d.int()
		case *int32:
			var v int64
			v, err = d.int()
			*p = int32(v)
			if err == nil && int64(*p) != v {
				err = fmt.Errorf("scf: gob: value for %q out of range", f.name)
			}
		case *uint64:
			*p, err = d.uint()
		case gobStruct:
			err = d.readStruct(d.types[f.id], p, depth+1)
		}
		return err
	})
}

// skip reads and drops a value of type id.
func (d *gobDecoder) skip(id int64, depth int) error {
	if depth > maxDepth {
		return errGobDepth
	}
	var err error
	switch id {
	case gobBool, gobInt, gobUint, gobFloat:
		_, err = d.uint()
		return err
	case gobComplex:
		if _, err = d.uint(); err == nil {
			_, err = d.uint()
		}
		return err
	case gobBytes, gobString:
		_, err = d.bytes()
		return err
	case gobInterface:
		return d.skipInterface()
	}
	t := d.types[id]
	if t == nil {
		return fmt.Errorf("scf: gob: undefined type id %d", id)
	}
	switch t.kind {
	case kindStruct:
		return d.readStruct(t, nil, depth)
	case kindMarshaled:
		_, err = d.bytes()
		return err
	}
	n, err := d.uint()
	if err != nil {
		return err
	}
	if t.kind == kindArray && n != uint64(t.len) {
		return fmt.Errorf("scf: gob: an array of %d elements for %q of %d", n, t.name, t.len)
	}
	// Every element takes at least one byte, so n is bounded by what the peer sends.
	for ; n > 0; n-- {
		if len(d.msg) == 0 {
			return errGobShort
		}
		if t.kind == kindMap {
			if err := d.skip(t.key, depth+1); err != nil {
				return err
			}
		}
		if err := d.skip(t.elem, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// skipInterface drops an interface value: the concrete type's name (empty for nil), type
// definitions, the concrete type id, and the value after its byte count.
func (d *gobDecoder) skipInterface() error {
	name, err := d.bytes()
	if err != nil || len(name) == 0 {
		return err
	}
	if _, err := d.typeSequence(true); err != nil {
		return err
	}
	_, err = d.bytes()
	return err
}
