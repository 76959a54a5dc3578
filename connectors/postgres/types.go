package postgres

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"conflux/connectors"
)

// Type OIDs of the built-in types the connector maps (pg_type.oid).
const (
	oidBool        = 16
	oidBytea       = 17
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidBpchar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidTimetz      = 1266
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// Debezium's semantic type names.
const (
	dbzJSON          = "io.debezium.data.Json"
	dbzUUID          = "io.debezium.data.Uuid"
	dbzEnum          = "io.debezium.data.Enum"
	dbzVarDecimal    = "io.debezium.data.VariableScaleDecimal"
	dbzDate          = "io.debezium.time.Date"
	dbzTime          = "io.debezium.time.Time"
	dbzMicroTime     = "io.debezium.time.MicroTime"
	dbzTimestamp     = "io.debezium.time.Timestamp"
	dbzMicroTS       = "io.debezium.time.MicroTimestamp"
	dbzZonedTS       = "io.debezium.time.ZonedTimestamp"
	dbzZonedTime     = "io.debezium.time.ZonedTime"
	dbzMicroDuration = "io.debezium.time.MicroDuration"
)

// unavailable is Debezium's placeholder for an unchanged TOASTed value that
// the server did not send.
const unavailable = "__debezium_unavailable_value"

// pgType is what the connector knows of a column's type.
type pgType struct {
	oid    uint32
	typmod int32
	kind   byte     // pg_type.typtype: b base, e enum, d domain, c composite…
	elem   uint32   // element type of an array, 0 otherwise
	labels []string // enum labels
}

// valueCodec turns a column's text form into its Connect value.
type valueCodec struct {
	schema *connectors.Schema // required form; the field schema is optional unless NOT NULL
	decode func(string) (any, error)
}

// codecFor maps a column type to its Connect schema and decoder, as
// Debezium does under the connector's decimal and time modes.
func (c *config) codecFor(t pgType) valueCodec {
	if t.elem != 0 {
		el := c.codecFor(pgType{oid: t.elem, typmod: t.typmod, kind: 'b'})
		return valueCodec{
			schema: connectors.ArraySchema(optionalOf(el.schema)).MustBuild(),
			decode: func(s string) (any, error) { return decodeArray(s, el.decode) },
		}
	}
	if t.kind == 'e' {
		return valueCodec{schema: connectors.NewSchemaBuilder(connectors.TypeString).Name(dbzEnum).Version(1).
			Param("allowed", strings.Join(t.labels, ",")).MustBuild(), decode: text}
	}
	simple := func(s *connectors.Schema, d func(string) (any, error)) valueCodec {
		return valueCodec{schema: s, decode: d}
	}
	named := func(typ connectors.Type, name string, d func(string) (any, error)) valueCodec {
		return simple(connectors.NewSchemaBuilder(typ).Name(name).Version(1).MustBuild(), d)
	}
	switch t.oid {
	case oidBool:
		return simple(connectors.BooleanSchema, func(s string) (any, error) { return s == "t" || s == "true", nil })
	case oidInt2:
		return simple(connectors.Int16Schema, parseInt(16, func(n int64) any { return int16(n) }))
	case oidInt4:
		return simple(connectors.Int32Schema, parseInt(32, func(n int64) any { return int32(n) }))
	case oidInt8, oidOID:
		return simple(connectors.Int64Schema, parseInt(64, func(n int64) any { return n }))
	case oidFloat4:
		return simple(connectors.Float32Schema, func(s string) (any, error) {
			f, err := parseFloat(s, 32)
			return float32(f), err
		})
	case oidFloat8:
		return simple(connectors.Float64Schema, func(s string) (any, error) { return parseFloat(s, 64) })
	case oidNumeric:
		return c.numericCodec(t.typmod)
	case oidBytea:
		return simple(connectors.BytesSchema, decodeBytea)
	case oidUUID:
		return named(connectors.TypeString, dbzUUID, text)
	case oidJSON, oidJSONB:
		return named(connectors.TypeString, dbzJSON, text)
	case oidDate:
		if c.timeMode == "connect" {
			return simple(connectors.DateSchema().MustBuild(), func(s string) (any, error) {
				d, err := time.Parse("2006-01-02", s)
				return d, err
			})
		}
		return named(connectors.TypeInt32, dbzDate, func(s string) (any, error) {
			d, err := time.Parse("2006-01-02", s)
			return connectors.EpochDays(d), err
		})
	case oidTime:
		switch {
		case c.timeMode == "connect":
			return simple(connectors.TimeSchema().MustBuild(), func(s string) (any, error) {
				us, err := parseTimeOfDay(s)
				return time.UnixMicro(us).UTC(), err
			})
		case c.timeMode == "adaptive" && precisionOf(t.typmod) <= 3:
			return named(connectors.TypeInt32, dbzTime, func(s string) (any, error) {
				us, err := parseTimeOfDay(s)
				return int32(us / 1000), err
			})
		}
		return named(connectors.TypeInt64, dbzMicroTime, func(s string) (any, error) { return parseTimeOfDay(s) })
	case oidTimestamp:
		parse := func(s string) (time.Time, error) { return time.Parse("2006-01-02 15:04:05.999999", s) }
		switch {
		case c.timeMode == "connect":
			return simple(connectors.TimestampSchema().MustBuild(), func(s string) (any, error) { return parse(s) })
		case precisionOf(t.typmod) <= 3:
			return named(connectors.TypeInt64, dbzTimestamp, func(s string) (any, error) {
				ts, err := parse(s)
				return ts.UnixMilli(), err
			})
		}
		return named(connectors.TypeInt64, dbzMicroTS, func(s string) (any, error) {
			ts, err := parse(s)
			return ts.UnixMicro(), err
		})
	case oidTimestamptz:
		return named(connectors.TypeString, dbzZonedTS, func(s string) (any, error) {
			if z, ok := zonedUTC(s); ok {
				return z, nil
			}
			ts, err := time.Parse("2006-01-02 15:04:05.999999Z07", s)
			return ts.UTC().Format("2006-01-02T15:04:05.999999Z"), err
		})
	case oidTimetz:
		return named(connectors.TypeString, dbzZonedTime, text)
	case oidInterval:
		return named(connectors.TypeInt64, dbzMicroDuration, parseInterval)
	}
	return simple(connectors.StringSchema, text)
}

func text(s string) (any, error) { return s, nil }

func parseInt(bits int, wrap func(int64) any) func(string) (any, error) {
	return func(s string) (any, error) {
		n, err := strconv.ParseInt(s, 10, bits)
		return wrap(n), err
	}
}

func parseFloat(s string, bits int) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, bits)
}

// precisionOf is the fractional-second precision of a time type's typmod;
// 6 when unconstrained.
func precisionOf(typmod int32) int {
	if typmod < 0 {
		return 6
	}
	return int(typmod)
}

// numericCodec maps numeric per decimal.handling.mode.
func (c *config) numericCodec(typmod int32) valueCodec {
	switch c.decimalMode {
	case "double":
		return valueCodec{schema: connectors.Float64Schema, decode: func(s string) (any, error) { return parseFloat(s, 64) }}
	case "string":
		return valueCodec{schema: connectors.StringSchema, decode: text}
	}
	if typmod >= 4 {
		scale := (typmod - 4) & 0xffff
		precision := ((typmod - 4) >> 16) & 0xffff
		s := connectors.DecimalSchema(scale).Param("connect.decimal.precision", strconv.Itoa(int(precision))).MustBuild()
		return valueCodec{schema: s, decode: func(v string) (any, error) {
			if d, ok := smallDecimal(v, scale); ok {
				return d, nil
			}
			d, err := connectors.ParseDecimal(v)
			if err != nil {
				return nil, err
			}
			return d.Rescale(scale)
		}}
	}
	s := connectors.StructSchema().Name(dbzVarDecimal).Version(1).Doc("Variable scaled decimal").
		Field("scale", connectors.Int32Schema).Field("value", connectors.BytesSchema).MustBuild()
	return valueCodec{schema: s, decode: func(v string) (any, error) {
		d, err := connectors.ParseDecimal(v)
		if err != nil {
			return nil, err
		}
		return connectors.NewStruct(s).Put("scale", d.Scale).Put("value", d.UnscaledBytes()), nil
	}}
}

// decodeBytea reads bytea's hex output (\x0a0b…).
func decodeBytea(s string) (any, error) {
	h, ok := strings.CutPrefix(s, `\x`)
	if !ok {
		return nil, fmt.Errorf("bytea value not in hex format: set bytea_output=hex")
	}
	return hex.DecodeString(h)
}

// parseTimeOfDay reads HH:MM:SS[.ffffff] as microseconds since midnight.
func parseTimeOfDay(s string) (int64, error) {
	var h, m int64
	var sec float64
	if _, err := fmt.Sscanf(s, "%d:%d:%f", &h, &m, &sec); err != nil {
		return 0, fmt.Errorf("time %q: %w", s, err)
	}
	return (h*3600+m*60)*1e6 + int64(math.Round(sec*1e6)), nil
}

// daysPerMonth is Debezium's average month for MicroDuration.
const daysPerMonth = 365.25 / 12

// parseInterval reads an interval in Postgres's default output style ("1
// year 2 mons 3 days 04:05:06.5") as microseconds, as Debezium's
// MicroDuration counts them.
func parseInterval(s string) (any, error) {
	fields := strings.Fields(s)
	var micros float64
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			neg := strings.HasPrefix(f, "-")
			us, err := parseTimeOfDay(strings.TrimLeft(f, "+-"))
			if err != nil {
				return nil, err
			}
			if neg {
				us = -us
			}
			micros += float64(us)
			continue
		}
		if i+1 >= len(fields) {
			return nil, fmt.Errorf("interval %q: number without unit", s)
		}
		n, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("interval %q: %w", s, err)
		}
		i++
		switch strings.TrimSuffix(fields[i], "s") {
		case "year":
			micros += n * 12 * daysPerMonth * 86400e6
		case "mon":
			micros += n * daysPerMonth * 86400e6
		case "day":
			micros += n * 86400e6
		default:
			return nil, fmt.Errorf("interval %q: unknown unit %q", s, fields[i])
		}
	}
	return int64(math.Round(micros)), nil
}

// decodeArray reads a one-dimensional array's text form ({a,"b c",NULL}).
func decodeArray(s string, el func(string) (any, error)) (any, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("array %q: not a one-dimensional array", s)
	}
	body := s[1 : len(s)-1]
	out := []any{}
	if body == "" {
		return out, nil
	}
	for i := 0; i <= len(body); {
		var item strings.Builder
		quoted := i < len(body) && body[i] == '"'
		if quoted {
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				item.WriteByte(body[i])
				i++
			}
			i++ // closing quote
		} else {
			for i < len(body) && body[i] != ',' {
				item.WriteByte(body[i])
				i++
			}
		}
		if !quoted && item.String() == "NULL" {
			out = append(out, nil)
		} else {
			v, err := el(item.String())
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		i++ // the comma
	}
	return out, nil
}

// optionalOf returns an optional copy of s.
func optionalOf(s *connectors.Schema) *connectors.Schema {
	if s.Optional {
		return s
	}
	c := s.Copy()
	c.Optional = true
	return c
}
