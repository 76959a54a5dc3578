package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// rowChange is an insert, update or delete message of pgoutput (protocol
// version 1), decoded straight into cells: the connector's hot path reads
// these alone, and pglogrepl's decoder made two allocations per column.
type rowChange struct {
	kind     byte // 'I', 'U' or 'D'
	relation uint32
	old, new []cell // old: the key or full old row, nil when not sent
}

// parseRowChange decodes an 'I', 'U' or 'D' message. The cells' text is
// copied out of data, which the caller may reuse.
func parseRowChange(data []byte) (rowChange, error) {
	if len(data) < 6 {
		return rowChange{}, errShortMessage
	}
	m := rowChange{kind: data[0], relation: binary.BigEndian.Uint32(data[1:5])}
	rest := data[5:]
	var err error
	switch m.kind {
	case 'I':
		if rest[0] != 'N' {
			return rowChange{}, fmt.Errorf("insert message: tuple tag %q, want 'N'", rest[0])
		}
		m.new, _, err = parseTuple(rest[1:])
	case 'D':
		if rest[0] != 'K' && rest[0] != 'O' {
			return rowChange{}, fmt.Errorf("delete message: tuple tag %q, want 'K' or 'O'", rest[0])
		}
		m.old, _, err = parseTuple(rest[1:])
	case 'U':
		if rest[0] == 'K' || rest[0] == 'O' {
			var n int
			if m.old, n, err = parseTuple(rest[1:]); err != nil {
				return rowChange{}, err
			}
			rest = rest[1+n:]
		}
		if len(rest) == 0 || rest[0] != 'N' {
			return rowChange{}, errors.New("update message without its new tuple")
		}
		m.new, _, err = parseTuple(rest[1:])
	default:
		return rowChange{}, fmt.Errorf("message %q is not a row change", m.kind)
	}
	return m, err
}

// parseTuple decodes a TupleData: the cells and the bytes it took. One
// string holds the tuple's text and the cells are slices of it.
func parseTuple(src []byte) ([]cell, int, error) {
	if len(src) < 2 {
		return nil, 0, errShortMessage
	}
	n := int(binary.BigEndian.Uint16(src))
	cells := make([]cell, n)
	// First pass: check the layout and size the text.
	at, size := 2, 0
	for i := range n {
		if at >= len(src) {
			return nil, 0, errShortMessage
		}
		switch src[at] {
		case 'n':
			cells[i].null = true
			at++
		case 'u':
			cells[i].unchanged = true
			at++
		case 't':
			if at+5 > len(src) {
				return nil, 0, errShortMessage
			}
			l := int(binary.BigEndian.Uint32(src[at+1:]))
			if l < 0 || l > len(src)-at-5 {
				return nil, 0, errShortMessage
			}
			at += 5 + l
			size += l
		default:
			return nil, 0, fmt.Errorf("tuple column %d: kind %q (binary values need protocol 2)", i, src[at])
		}
	}
	var b strings.Builder
	b.Grow(size)
	for pos, i := 2, 0; i < n; i++ {
		if src[pos] != 't' {
			pos++
			continue
		}
		l := int(binary.BigEndian.Uint32(src[pos+1:]))
		b.Write(src[pos+5 : pos+5+l])
		pos += 5 + l
	}
	all, off := b.String(), 0
	for pos, i := 2, 0; i < n; i++ {
		if src[pos] != 't' {
			pos++
			continue
		}
		l := int(binary.BigEndian.Uint32(src[pos+1:]))
		cells[i].text = all[off : off+l]
		off += l
		pos += 5 + l
	}
	return cells, at, nil
}
