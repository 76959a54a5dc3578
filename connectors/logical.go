package connectors

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Names of Kafka Connect's logical types. A schema with one of these names
// (and version 1) carries values of the logical type; see the Type
// constants for the Go types.
const (
	// DecimalName is an arbitrary-precision decimal stored as bytes: the
	// unscaled value in big-endian two's complement, with the scale in the
	// schema parameter DecimalScaleParam. Go value: Decimal.
	DecimalName = "org.apache.kafka.connect.data.Decimal"
	// DateName is a calendar date stored as int32 days since the Unix
	// epoch. Go value: time.Time (UTC midnight).
	DateName = "org.apache.kafka.connect.data.Date"
	// TimeName is a time of day stored as int32 milliseconds since
	// midnight. Go value: time.Time on 1970-01-01 UTC.
	TimeName = "org.apache.kafka.connect.data.Time"
	// TimestampName is an instant stored as int64 milliseconds since the
	// Unix epoch. Go value: time.Time.
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// DecimalScaleParam is the schema parameter holding a Decimal's scale.
	DecimalScaleParam = "scale"
)

const millisPerDay = 24 * 60 * 60 * 1000

// Decimal is the Go value of the Decimal logical type: Unscaled × 10^-Scale.
// Treat it as immutable: never modify Unscaled in place. A nil Unscaled is
// zero.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// NewDecimal returns unscaled × 10^-scale.
func NewDecimal(unscaled *big.Int, scale int32) Decimal {
	return Decimal{Unscaled: unscaled, Scale: scale}
}

// DecimalFromInt64 returns unscaled × 10^-scale.
func DecimalFromInt64(unscaled int64, scale int32) Decimal {
	return Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

// ParseDecimal parses a decimal number such as "-123.45" or "1.5e3"; the
// scale is the number of digits after the point minus the exponent.
func ParseDecimal(s string) (Decimal, error) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return Decimal{}, fmt.Errorf("invalid decimal %q", s)
		}
		mant, exp = s[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	sign := ""
	if digits != "" && (digits[0] == '-' || digits[0] == '+') {
		sign, digits = digits[:1], digits[1:]
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" || (intPart == "" && frac == "") {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	u, ok := new(big.Int).SetString(sign+digits, 10)
	if !ok {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	scale := int64(len(frac)) - int64(exp)
	if scale != int64(int32(scale)) {
		return Decimal{}, fmt.Errorf("invalid decimal %q: scale out of range", s)
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

func (d Decimal) unscaled() *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// String returns the decimal in plain notation, e.g. "-123.45" or "0.05".
func (d Decimal) String() string {
	u := d.unscaled()
	if d.Scale <= 0 {
		s := u.String()
		if u.Sign() != 0 {
			s += strings.Repeat("0", int(-d.Scale))
		}
		return s
	}
	digits := new(big.Int).Abs(u).String()
	sign := ""
	if u.Sign() < 0 {
		sign = "-"
	}
	if n := int(d.Scale); len(digits) <= n {
		digits = strings.Repeat("0", n-len(digits)+1) + digits
	}
	cut := len(digits) - int(d.Scale)
	return sign + digits[:cut] + "." + digits[cut:]
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	f, _ := new(big.Float).SetPrec(200).SetString(d.String())
	if f == nil {
		return 0
	}
	v, _ := f.Float64()
	return v
}

// Rescale returns the same number with the given scale. It fails when that
// would lose digits.
func (d Decimal) Rescale(scale int32) (Decimal, error) {
	if scale == d.Scale {
		return d, nil
	}
	u := d.unscaled()
	if scale > d.Scale {
		m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)-int64(d.Scale)), nil)
		return Decimal{Unscaled: m.Mul(m, u), Scale: scale}, nil
	}
	m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)-int64(scale)), nil)
	q, r := new(big.Int).QuoRem(u, m, new(big.Int))
	if r.Sign() != 0 {
		return Decimal{}, DataErrorf("Decimal %s cannot be represented with scale %d", d, scale)
	}
	return Decimal{Unscaled: q, Scale: scale}, nil
}

// Equal reports whether d and o have the same unscaled value and scale
// (like Java's BigDecimal.equals, 1.0 and 1.00 differ).
func (d Decimal) Equal(o Decimal) bool {
	return d.Scale == o.Scale && d.unscaled().Cmp(o.unscaled()) == 0
}

// UnscaledBytes returns the unscaled value as Kafka stores it: big-endian
// two's complement in the fewest bytes (Java's BigInteger.toByteArray).
func (d Decimal) UnscaledBytes() []byte {
	u := d.unscaled()
	if u.Sign() >= 0 {
		b := u.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// For negative u, the two's complement bytes are those of -u-1 inverted.
	m := new(big.Int).Neg(u)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

// DecimalFromBytes decodes an unscaled value stored as big-endian two's
// complement (Kafka's Decimal.toLogical).
func DecimalFromBytes(b []byte, scale int32) Decimal {
	u := new(big.Int)
	if len(b) == 0 {
		return Decimal{Unscaled: u, Scale: scale}
	}
	if b[0]&0x80 == 0 {
		return Decimal{Unscaled: u.SetBytes(b), Scale: scale}
	}
	inv := make([]byte, len(b))
	for i := range b {
		inv[i] = ^b[i]
	}
	u.SetBytes(inv)
	u.Add(u, big.NewInt(1))
	return Decimal{Unscaled: u.Neg(u), Scale: scale}
}

// DecimalScale returns the scale declared by a Decimal schema, with Kafka's
// errors when the parameter is missing or not a number.
func DecimalScale(s *Schema) (int32, error) {
	p, ok := s.Parameters[DecimalScaleParam]
	if !ok {
		return 0, DataErrorf("Invalid Decimal schema: scale parameter not found.")
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		return 0, DataErrorf("Invalid scale parameter found in Decimal schema: %s", p)
	}
	return int32(n), nil
}

// EpochDays returns the Date logical type's stored value for t: days since
// 1970-01-01 in UTC. The time of day is dropped (Kafka refuses it; Conflux
// truncates).
func EpochDays(t time.Time) int32 {
	return int32(floorDiv(t.Unix(), 24*60*60))
}

// DateFromEpochDays returns UTC midnight of the day days after 1970-01-01.
func DateFromEpochDays(days int32) time.Time {
	return time.Unix(int64(days)*24*60*60, 0).UTC()
}

// MillisOfDay returns the Time logical type's stored value for t: the
// milliseconds since midnight UTC. The date is dropped (Kafka refuses it;
// Conflux ignores it).
func MillisOfDay(t time.Time) int32 {
	ms := t.UnixMilli() % millisPerDay
	if ms < 0 {
		ms += millisPerDay
	}
	return int32(ms)
}

// TimeFromMillisOfDay returns that time of day on 1970-01-01 UTC.
func TimeFromMillisOfDay(ms int32) time.Time {
	return time.UnixMilli(int64(ms)).UTC()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
