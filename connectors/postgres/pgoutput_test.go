package postgres

import (
	"encoding/binary"
	"testing"

	"github.com/jackc/pglogrepl"
)

// tuple encodes a TupleData: nil is null, "\x00u" unchanged, else text.
func tuple(cols ...*string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(cols)))
	for _, c := range cols {
		switch {
		case c == nil:
			b = append(b, 'n')
		case *c == "\x00u":
			b = append(b, 'u')
		default:
			b = append(b, 't')
			b = binary.BigEndian.AppendUint32(b, uint32(len(*c)))
			b = append(b, *c...)
		}
	}
	return b
}

func str(s string) *string { return &s }

func message(kind byte, parts ...[]byte) []byte {
	b := append([]byte{kind}, 0, 0, 0x40, 0x01) // relation 16385
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// rowChangeSeeds are well-formed inserts, updates (with and without the
// old tuple) and deletes.
func rowChangeSeeds() [][]byte {
	row := tuple(str("1"), nil, str("é text"), str("\x00u"), str(""))
	key := tuple(str("1"), nil, nil, nil, nil)
	return [][]byte{
		message('I', []byte{'N'}, row),
		message('U', []byte{'N'}, row),
		message('U', []byte{'K'}, key, []byte{'N'}, row),
		message('U', []byte{'O'}, row, []byte{'N'}, row),
		message('D', []byte{'K'}, key),
		message('D', []byte{'O'}, row),
	}
}

// FuzzParseRowChange checks the connector's decoder of pgoutput row
// changes against pglogrepl's: it never panics, and where both decode a
// message they read the same cells.
func FuzzParseRowChange(f *testing.F) {
	for _, s := range rowChangeSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseRowChange(data)
		if err != nil {
			return
		}
		want, ok := pglogreplChange(data)
		if !ok {
			return // pglogrepl panics or refuses where we do not: only agreement is checked
		}
		if got.relation != want.relation || !sameCells(got.old, want.old) || !sameCells(got.new, want.new) {
			t.Fatalf("parseRowChange(%q) = %+v; pglogrepl reads %+v", data, got, want)
		}
	})
}

// TestParseRowChangeSeeds decodes the seeds, which must all succeed and
// agree with pglogrepl.
func TestParseRowChangeSeeds(t *testing.T) {
	for _, s := range rowChangeSeeds() {
		got, err := parseRowChange(s)
		want, ok := pglogreplChange(s)
		if err != nil || !ok || !sameCells(got.old, want.old) || !sameCells(got.new, want.new) || got.relation != 16385 {
			t.Errorf("%q: got %+v, %v; pglogrepl %+v, %v", s, got, err, want, ok)
		}
	}
	if _, err := parseRowChange(message('I', []byte{'N'}, []byte{0, 1, 't', 0, 0, 0, 9, 'x'})); err == nil {
		t.Error("a column longer than the message decoded")
	}
}

// pglogreplChange decodes a row change with pglogrepl, which panics on
// some malformed input.
func pglogreplChange(data []byte) (out rowChange, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	msg, err := pglogrepl.Parse(data)
	if err != nil {
		return rowChange{}, false
	}
	cells := func(td *pglogrepl.TupleData) []cell {
		if td == nil {
			return nil
		}
		out := make([]cell, len(td.Columns))
		for i, c := range td.Columns {
			switch c.DataType {
			case pglogrepl.TupleDataTypeNull:
				out[i].null = true
			case pglogrepl.TupleDataTypeToast:
				out[i].unchanged = true
			case pglogrepl.TupleDataTypeText:
				out[i].text = string(c.Data)
			default:
				ok = false
			}
		}
		return out
	}
	ok = true
	switch m := msg.(type) {
	case *pglogrepl.InsertMessage:
		out = rowChange{kind: 'I', relation: m.RelationID, new: cells(m.Tuple)}
	case *pglogrepl.UpdateMessage:
		out = rowChange{kind: 'U', relation: m.RelationID, old: cells(m.OldTuple), new: cells(m.NewTuple)}
	case *pglogrepl.DeleteMessage:
		out = rowChange{kind: 'D', relation: m.RelationID, old: cells(m.OldTuple)}
	default:
		return rowChange{}, false
	}
	return out, ok
}

func sameCells(a, b []cell) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
