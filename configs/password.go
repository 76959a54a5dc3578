package configs

import (
	"fmt"
	"log/slog"
)

// hidden is what Kafka shows in place of a secret.
const hidden = "[hidden]"

// Password holds a secret configuration value. Every way of printing or
// encoding it (fmt verbs, String, MarshalJSON, MarshalText, slog) yields
// "[hidden]"; only [Password.Value] returns the secret. The zero value is an
// empty secret.
type Password struct {
	secret string
}

// NewPassword wraps a secret.
func NewPassword(secret string) Password { return Password{secret: secret} }

// Value returns the secret itself. Call it only where the secret is used,
// never to log or display it.
func (p Password) Value() string { return p.secret }

// String returns "[hidden]".
func (p Password) String() string { return hidden }

// GoString returns "[hidden]", so %#v does not reveal the secret.
func (p Password) GoString() string { return hidden }

// Format writes "[hidden]" for every verb.
func (p Password) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(hidden)) }

// MarshalJSON returns the JSON string "[hidden]".
func (p Password) MarshalJSON() ([]byte, error) { return []byte(`"` + hidden + `"`), nil }

// MarshalText returns "[hidden]".
func (p Password) MarshalText() ([]byte, error) { return []byte(hidden), nil }

// LogValue makes log/slog print "[hidden]".
func (p Password) LogValue() slog.Value { return slog.StringValue(hidden) }
