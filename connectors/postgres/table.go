package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"conflux/connectors"
)

// catalogColumn is one column as pg_attribute describes it.
type catalogColumn struct {
	name    string
	typ     pgType
	notNull bool
	primary bool
}

// loadColumns reads a table's columns from the catalog.
func loadColumns(ctx context.Context, conn *pgx.Conn, relid uint32) ([]catalogColumn, error) {
	rows, err := conn.Query(ctx, `
		SELECT a.attname, a.atttypid, a.atttypmod, t.typtype, t.typelem, t.typcategory = 'A', a.attnotnull,
		       COALESCE(a.attnum = ANY(i.indkey), false),
		       COALESCE((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid), '{}')
		FROM pg_attribute a
		JOIN pg_type t ON t.oid = a.atttypid
		LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, relid)
	if err != nil {
		return nil, fmt.Errorf("read the columns of table %d: %w", relid, err)
	}
	var cols []catalogColumn
	for rows.Next() {
		var c catalogColumn
		var kind string
		var elem uint32
		var isArray bool
		if err := rows.Scan(&c.name, &c.typ.oid, &c.typ.typmod, &kind, &elem, &isArray, &c.notNull, &c.primary, &c.typ.labels); err != nil {
			return nil, err
		}
		c.typ.kind = kind[0]
		if isArray {
			c.typ.elem = elem
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// column is one captured column of a table.
type column struct {
	name     string
	codec    valueCodec
	key      bool
	excluded bool // in column.exclude.list: decoded never, sent never
}

// table is a captured table: its columns and the schemas of its events.
type table struct {
	oid                 uint32 // pg_class.oid; 0 where unknown
	schema, name, topic string
	cols                []column
	keyCols             []int
	keySchema           *connectors.Schema // nil: the table has no primary key
	rowSchema           *connectors.Schema // optional, for before and after
	envSchema           *connectors.Schema
	// structs makes the events' rows, keys and envelopes; only the
	// reader's goroutine builds events.
	structs connectors.StructSlab
}

// newTable describes a table from its columns. A NOT NULL column has a
// required schema only when the table's replica identity is FULL: under
// the other identities a delete's before holds the key alone.
func (c *config) newTable(schema, name string, cat []catalogColumn, fullIdentity bool) *table {
	t := &table{schema: schema, name: name, topic: topicName(c.prefix, schema, name)}
	base := c.prefix + "." + schema + "." + name
	row := connectors.StructSchema().Name(base + ".Value").Optional()
	key := connectors.StructSchema().Name(base + ".Key")
	for _, cc := range cat {
		col := column{name: cc.name, codec: c.codecFor(cc.typ), key: cc.primary, excluded: c.columnExcluded(schema, name, cc.name)}
		if col.key {
			t.keyCols = append(t.keyCols, len(t.cols))
			key.Field(cc.name, col.codec.schema)
		}
		if !col.excluded {
			fs := col.codec.schema
			if !cc.notNull || !fullIdentity && !cc.primary {
				fs = optionalOf(fs)
			}
			row.Field(cc.name, fs)
		}
		t.cols = append(t.cols, col)
	}
	if len(t.keyCols) > 0 {
		t.keySchema = key.MustBuild()
	}
	t.rowSchema = row.MustBuild()
	t.envSchema = connectors.StructSchema().Name(base+".Envelope").Version(2).
		Field("before", t.rowSchema).
		Field("after", t.rowSchema).
		Field("source", sourceSchema).
		Field("op", connectors.StringSchema).
		Field("ts_ms", connectors.OptionalInt64Schema).
		MustBuild()
	return t
}

// topicName is <prefix>.<schema>.<table> with characters Kafka does not
// allow in topic names replaced by '_', as Debezium does.
func topicName(prefix, schema, name string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, prefix+"."+schema+"."+name)
}

// cell is one column value as the server sent it.
type cell struct {
	null, unchanged bool
	text            string
}

// decodeRow builds the row Struct and the key Struct from the cells of a
// tuple (in column order). An unchanged TOASTed value gets Debezium's
// placeholder where the type can hold it and null elsewhere.
func (t *table) decodeRow(cells []cell) (row, key *connectors.Struct, err error) {
	row = t.structs.New(t.rowSchema)
	if t.keySchema != nil {
		key = t.structs.New(t.keySchema)
	}
	n := 0
	for i, col := range t.cols {
		if i >= len(cells) {
			break
		}
		var v any
		switch c := cells[i]; {
		case c.null || col.excluded && !col.key:
		case c.unchanged:
			switch col.codec.schema.Type {
			case connectors.TypeString:
				v = unavailable
			case connectors.TypeBytes:
				v = []byte(unavailable)
			}
		default:
			if v, err = col.codec.decode(c.text); err != nil {
				return nil, nil, fmt.Errorf("%s.%s column %s: cannot read %q: %w", t.schema, t.name, col.name, c.text, err)
			}
		}
		if col.key && key != nil {
			key.Put(col.name, v)
		}
		if !col.excluded {
			if st, ok := v.(*connectors.Struct); ok {
				v = rehome(st, t.rowSchema.Fields[n].Schema)
			}
			row.SetAt(n, v)
			n++
		}
	}
	return row, key, nil
}

// sourceSchema is Debezium's io.debezium.connector.postgresql.Source.
var sourceSchema = connectors.StructSchema().Name("io.debezium.connector.postgresql.Source").
	Field("version", connectors.StringSchema).
	Field("connector", connectors.StringSchema).
	Field("name", connectors.StringSchema).
	Field("ts_ms", connectors.Int64Schema).
	Field("snapshot", connectors.NewSchemaBuilder(connectors.TypeString).Optional().Name(dbzEnum).Version(1).
		Param("allowed", "true,last,false,incremental").Default("false").MustBuild()).
	Field("db", connectors.StringSchema).
	Field("sequence", connectors.OptionalStringSchema).
	Field("schema", connectors.StringSchema).
	Field("table", connectors.StringSchema).
	Field("txId", connectors.OptionalInt64Schema).
	Field("lsn", connectors.OptionalInt64Schema).
	Field("xmin", connectors.OptionalInt64Schema).
	MustBuild()

// sourceInfo is what the source block of one event says.
type sourceInfo struct {
	db         string
	commit     time.Time
	snapshot   string // true, last or false
	txID       int64  // 0: unknown
	lsn        uint64 // 0: unknown
	lastCommit uint64
	xmin       int64 // 0: unknown (xmin.fetch.interval.ms is 0)
}

// Positions of the fields of sourceSchema and of every table's envelope
// schema, so that building an event does not look fields up by name.
const (
	srcVersion = iota
	srcConnector
	srcName
	srcTsMs
	srcSnapshot
	srcDB
	srcSequence
	srcSchema
	srcTable
	srcTxID
	srcLSN
	srcXmin
)

const (
	envBefore = iota
	envAfter
	envSource
	envOp
	envTsMs
)

// source builds an event's source block.
func (t *table) source(src sourceInfo, prefix string) *connectors.Struct {
	s := connectors.NewStruct(sourceSchema)
	s.SetAt(srcVersion, Version)
	s.SetAt(srcConnector, "postgresql")
	s.SetAt(srcName, prefix)
	s.SetAt(srcTsMs, src.commit.UnixMilli())
	s.SetAt(srcSnapshot, src.snapshot)
	s.SetAt(srcDB, src.db)
	s.SetAt(srcSchema, t.schema)
	s.SetAt(srcTable, t.name)
	if src.txID != 0 {
		s.SetAt(srcTxID, src.txID)
	}
	if src.xmin != 0 {
		s.SetAt(srcXmin, src.xmin)
	}
	if src.lsn != 0 {
		s.SetAt(srcLSN, int64(src.lsn))
		s.SetAt(srcSequence, sequence(src.lastCommit, src.lsn))
	}
	return s
}

// sequence is Debezium's source.sequence: ["<last commit LSN>","<LSN>"].
func sequence(lastCommit, lsn uint64) string {
	b := make([]byte, 0, 48)
	b = append(b, `["`...)
	b = strconv.AppendUint(b, lastCommit, 10)
	b = append(b, `","`...)
	b = strconv.AppendUint(b, lsn, 10)
	b = append(b, `"]`...)
	return string(b)
}

// envelope builds a change event's value.
func (t *table) envelope(op string, before, after *connectors.Struct, src sourceInfo, prefix string) *connectors.Struct {
	return t.wrap(op, before, after, t.source(src, prefix))
}

// wrap builds a change event's value around a source block, which events
// may share: the runtime and transforms never change a value in place.
func (t *table) wrap(op string, before, after, source *connectors.Struct) *connectors.Struct {
	env := t.structs.New(t.envSchema)
	env.SetAt(envSource, source)
	env.SetAt(envOp, op)
	env.SetAt(envTsMs, time.Now().UnixMilli())
	if before != nil {
		env.SetAt(envBefore, before)
	}
	if after != nil {
		env.SetAt(envAfter, after)
	}
	return env
}

// rehome returns st on schema s (the same fields, perhaps optional), since
// a Struct must carry the very schema of the field that holds it.
func rehome(st *connectors.Struct, s *connectors.Schema) *connectors.Struct {
	if st.Schema() == s {
		return st
	}
	out := connectors.NewStruct(s)
	for i := range s.Fields {
		out.SetAt(i, st.At(i))
	}
	return out
}
