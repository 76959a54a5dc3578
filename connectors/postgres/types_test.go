package postgres

import (
	"fmt"
	"testing"
	"time"

	"conflux/connectors"
)

// TestTypes reads one row of every supported type through the snapshot
// and through the stream, and checks each value and its schema name
// against what Debezium emits under the default modes.
func TestTypes(t *testing.T) {
	h := newHarness(t,
		"CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
		`CREATE TABLE public.types (
			id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision,
			num numeric(10,2), numfree numeric, txt text, vc varchar(10), ch char(3), flag boolean NOT NULL,
			bin bytea, uid uuid, js json, jsb jsonb, d date, tm time, tm3 time(3), ts timestamp, ts3 timestamp(3),
			tstz timestamptz, iv interval, arr int[], tags text[], m mood)`)
	row := `(%d, -3, 9000000000, 1.5, 2.25, 12.30, 3.14159, 'hello', 'v', 'abc', true,
		'\x0102ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a":1}', '{"b": [1, 2]}', '2026-12-06', '10:20:30.123456',
		'10:20:30.123', '2026-12-06 10:20:30.123456', '2026-12-06 10:20:30.123', '2026-12-06 10:20:30.5+02',
		'1 day 02:00:00', '{1,2,NULL}', '{"a b",c}', 'happy')`
	h.pg.Exec(t, h.db, "INSERT INTO public.types VALUES "+fmt.Sprintf(row, 1))
	h.start()
	h.pg.Exec(t, h.db, "INSERT INTO public.types VALUES "+fmt.Sprintf(row, 2))
	h.pollUntil("both rows", countAtLeast("dbserver1.public.types", 2))

	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	want := map[string]struct {
		value any
		name  string
	}{
		"i2": {int16(-3), ""}, "i8": {int64(9000000000), ""}, "f4": {float32(1.5), ""}, "f8": {2.25, ""},
		"num": {connectors.DecimalFromInt64(1230, 2), connectors.DecimalName},
		"txt": {"hello", ""}, "vc": {"v", ""}, "ch": {"abc", ""}, "flag": {true, ""},
		"bin": {[]byte{1, 2, 0xff}, ""},
		"uid": {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", dbzUUID},
		"js":  {`{"a":1}`, dbzJSON}, "jsb": {`{"b": [1, 2]}`, dbzJSON},
		"d":    {connectors.EpochDays(day), dbzDate},
		"tm":   {int64((10*3600+20*60+30)*1e6 + 123456), dbzMicroTime},
		"tm3":  {int32((10*3600+20*60+30)*1e3 + 123), dbzTime},
		"ts":   {day.Add(10*time.Hour + 20*time.Minute + 30*time.Second + 123456*time.Microsecond).UnixMicro(), dbzMicroTS},
		"ts3":  {day.Add(10*time.Hour + 20*time.Minute + 30*time.Second + 123*time.Millisecond).UnixMilli(), dbzTimestamp},
		"tstz": {"2026-12-06T08:20:30.5Z", dbzZonedTS},
		"iv":   {int64(26 * 3600 * 1e6), dbzMicroDuration},
		"arr":  {[]any{int32(1), int32(2), nil}, ""},
		"tags": {[]any{"a b", "c"}, ""},
		"m":    {"happy", dbzEnum},
	}
	for _, ev := range changes(h.got, "dbserver1.public.types") {
		after := ev.Get("after").(*connectors.Struct)
		if err := after.Validate(); err != nil {
			t.Errorf("op %v: the row does not match its schema: %v", ev.Get("op"), err)
		}
		for name, w := range want {
			got := after.Get(name)
			if !connectors.ValuesEqual(got, w.value) {
				t.Errorf("op %v column %s: %#v, want %#v", ev.Get("op"), name, got, w.value)
			}
			if s := after.Schema().Field(name).Schema; s.Name != w.name {
				t.Errorf("column %s: schema name %q, want %q", name, s.Name, w.name)
			}
		}
		free, _ := after.Get("numfree").(*connectors.Struct)
		if free == nil || free.Get("scale") != int32(5) || free.Schema().Name != dbzVarDecimal {
			t.Errorf("unconstrained numeric: %v", after.Get("numfree"))
		}
		if s := after.Schema().Field("id").Schema; s.Optional {
			t.Error("a primary key column must have a required schema")
		}
	}
}

// TestFastPathsAgree checks that the shortcuts for UTC timestamptz and
// small numerics give what the full parsers give, and step aside for what
// they do not handle.
func TestFastPathsAgree(t *testing.T) {
	for _, s := range []string{"2024-05-06 07:08:09+00", "2024-05-06 07:08:09.5+00", "2024-05-06 07:08:09.123456+00", "0001-01-01 00:00:00+00"} {
		got, ok := zonedUTC(s)
		ts, err := time.Parse("2006-01-02 15:04:05.999999Z07", s)
		if want := ts.UTC().Format("2006-01-02T15:04:05.999999Z"); !ok || err != nil || got != want {
			t.Errorf("zonedUTC(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
	for _, s := range []string{"2024-05-06 07:08:09+02", "2024-05-06 07:08:09+00 BC", "12024-05-06 07:08:09+00", "infinity", "2024-05-06 07:08:09.+00", "2024-05-06 07:08:0x+00"} {
		if got, ok := zonedUTC(s); ok {
			t.Errorf("zonedUTC(%q) = %q, want the full parser", s, got)
		}
	}
	for _, c := range []struct {
		s     string
		scale int32
	}{{"123.45", 2}, {"-123.45", 2}, {"0.00", 2}, {"-0.50", 2}, {"7", 3}, {"1.5", 4}, {"999999999999999999", 0}} {
		got, ok := smallDecimal(c.s, c.scale)
		d, err := connectors.ParseDecimal(c.s)
		if err == nil {
			d, err = d.Rescale(c.scale)
		}
		if !ok || err != nil || !got.Equal(d) {
			t.Errorf("smallDecimal(%q, %d) = %v, %v; want %v (%v)", c.s, c.scale, got, ok, d, err)
		}
	}
	for _, c := range []struct {
		s     string
		scale int32
	}{{"1.234", 2}, {"NaN", 2}, {"1e5", 0}, {"1234567890123456789", 0}, {"12345678901234567.1", 2}, {"", 0}, {"-", 0}, {"1.2.3", 2}} {
		if got, ok := smallDecimal(c.s, c.scale); ok {
			t.Errorf("smallDecimal(%q, %d) = %v, want the full parser", c.s, c.scale, got)
		}
	}
}

// TestFieldPositions checks the field positions events are built with
// against the schemas' field names.
func TestFieldPositions(t *testing.T) {
	env := (&config{prefix: "p"}).newTable("s", "t", nil, false).envSchema
	for _, c := range []struct {
		schema *connectors.Schema
		pos    int
		name   string
	}{
		{sourceSchema, srcVersion, "version"}, {sourceSchema, srcConnector, "connector"}, {sourceSchema, srcName, "name"},
		{sourceSchema, srcTsMs, "ts_ms"}, {sourceSchema, srcSnapshot, "snapshot"}, {sourceSchema, srcDB, "db"},
		{sourceSchema, srcSequence, "sequence"}, {sourceSchema, srcSchema, "schema"}, {sourceSchema, srcTable, "table"},
		{sourceSchema, srcTxID, "txId"}, {sourceSchema, srcLSN, "lsn"}, {sourceSchema, srcXmin, "xmin"},
		{env, envBefore, "before"}, {env, envAfter, "after"}, {env, envSource, "source"}, {env, envOp, "op"}, {env, envTsMs, "ts_ms"},
	} {
		if got := c.schema.FieldIndex(c.name); got != c.pos {
			t.Errorf("%s.%s at %d, built at %d", c.schema.Name, c.name, got, c.pos)
		}
	}
}
