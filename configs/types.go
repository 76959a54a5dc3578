package configs

// Type is the type of a configuration value, as in Kafka's ConfigDef.Type.
// Its String form (BOOLEAN, STRING, …) is the one Kafka Connect's REST API
// uses.
type Type uint8

// Configuration value types. Parsed values have these Go types:
// TypeBoolean bool, TypeString and TypeClass string, TypeInt int32,
// TypeShort int16, TypeLong int64, TypeDouble float64, TypeList []string and
// TypePassword [Password].
const (
	TypeBoolean Type = iota + 1
	TypeString
	TypeInt
	TypeShort
	TypeLong
	TypeDouble
	TypeList
	TypeClass
	TypePassword
)

var typeNames = [...]string{
	TypeBoolean:  "BOOLEAN",
	TypeString:   "STRING",
	TypeInt:      "INT",
	TypeShort:    "SHORT",
	TypeLong:     "LONG",
	TypeDouble:   "DOUBLE",
	TypeList:     "LIST",
	TypeClass:    "CLASS",
	TypePassword: "PASSWORD",
}

// String returns Kafka's upper-case name of the type, or "UNKNOWN".
func (t Type) String() string {
	if t >= TypeBoolean && t <= TypePassword {
		return typeNames[t]
	}
	return "UNKNOWN"
}

func (t Type) valid() bool { return t >= TypeBoolean && t <= TypePassword }

// Importance tells users how much a key matters, as in Kafka's
// ConfigDef.Importance. The zero value is treated as Medium.
type Importance uint8

// Importance levels.
const (
	High Importance = iota + 1
	Medium
	Low
)

// String returns HIGH, MEDIUM or LOW; the zero value reads MEDIUM.
func (i Importance) String() string {
	switch i {
	case High:
		return "HIGH"
	case Low:
		return "LOW"
	default:
		return "MEDIUM"
	}
}

// Width is a hint for the width of an input field in a UI, as in Kafka's
// ConfigDef.Width. The zero value is WidthNone.
type Width uint8

// Widths.
const (
	WidthNone Width = iota
	WidthShort
	WidthMedium
	WidthLong
)

// String returns NONE, SHORT, MEDIUM or LONG.
func (w Width) String() string {
	switch w {
	case WidthShort:
		return "SHORT"
	case WidthMedium:
		return "MEDIUM"
	case WidthLong:
		return "LONG"
	default:
		return "NONE"
	}
}
