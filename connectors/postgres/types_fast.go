package postgres

import (
	"math/big"

	"conflux/connectors"
)

// zonedUTC rewrites a timestamptz that the server printed in UTC
// ("2024-05-06 07:08:09.123+00") as Debezium's ZonedTimestamp
// ("2024-05-06T07:08:09.123Z") without parsing it: both forms drop the
// fraction's trailing zeros. ok is false for any other form (another
// offset, BC, a year past 9999, infinity), which the caller parses.
func zonedUTC(s string) (string, bool) {
	n := len(s)
	if n < 22 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[n-3:] != "+00" {
		return "", false
	}
	for i, c := range []byte(s[:19]) {
		if i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (c < '0' || c > '9') {
			return "", false
		}
	}
	if frac := s[19 : n-3]; frac != "" {
		if len(frac) < 2 || frac[0] != '.' || !allDigits(frac[1:]) {
			return "", false
		}
	}
	b := make([]byte, 0, n-2)
	b = append(b, s[:10]...)
	b = append(b, 'T')
	b = append(b, s[11:n-3]...)
	b = append(b, 'Z')
	return string(b), true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// smallDecimal reads a plain decimal ("-123.45") of at most 18 digits as
// an unscaled value at scale, without big-number parsing. ok is false for
// anything else (exponents, NaN, more fraction digits than scale, more
// digits than an int64 holds), which the caller parses in full.
func smallDecimal(s string, scale int32) (connectors.Decimal, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var u int64
	digits, frac, dot := 0, int32(0), false
	for i := range len(s) {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9':
			u = u*10 + int64(c-'0')
			digits++
			if dot {
				frac++
			}
		default:
			return connectors.Decimal{}, false
		}
	}
	if digits == 0 || frac > scale || digits+int(scale-frac) > 18 {
		return connectors.Decimal{}, false
	}
	for range scale - frac {
		u *= 10
	}
	if neg {
		u = -u
	}
	return connectors.Decimal{Unscaled: big.NewInt(u), Scale: scale}, true
}
