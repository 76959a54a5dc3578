package connectors

import (
	"bytes"
	"math/big"
	"testing"
	"time"
)

func TestDecimalParseAndString(t *testing.T) {
	tests := []struct {
		in, out string
		scale   int32
	}{
		{"123.45", "123.45", 2}, {"-0.05", "-0.05", 2}, {"0", "0", 0}, {"1.5e3", "1500", -2}, {"1.50", "1.50", 2},
		{"-123", "-123", 0}, {"+7.0", "7.0", 1}, {"12E-3", "0.012", 3}, {".5", "0.5", 1},
		{"123456789012345678901234567890.123", "123456789012345678901234567890.123", 3},
	}
	for _, tt := range tests {
		d, err := ParseDecimal(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if d.String() != tt.out || d.Scale != tt.scale {
			t.Errorf("%s: got %s scale %d", tt.in, d, d.Scale)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1e", "--1", "1e99999999999", "."} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if (Decimal{}).String() != "0" || DecimalFromInt64(0, 2).String() != "0.00" {
		t.Error("zero formatting")
	}
}

func TestDecimalBytes(t *testing.T) {
	// Expected values are Java's BigInteger.toByteArray.
	tests := []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0}}, {1, []byte{1}}, {127, []byte{0x7f}}, {128, []byte{0, 0x80}}, {255, []byte{0, 0xff}},
		{256, []byte{1, 0}}, {-1, []byte{0xff}}, {-128, []byte{0x80}}, {-129, []byte{0xff, 0x7f}},
		{-256, []byte{0xff, 0}}, {12345, []byte{0x30, 0x39}}, {-12345, []byte{0xcf, 0xc7}},
	}
	for _, tt := range tests {
		d := DecimalFromInt64(tt.v, 2)
		got := d.UnscaledBytes()
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%d: got %x, want %x", tt.v, got, tt.want)
		}
		back := DecimalFromBytes(got, 2)
		if !back.Equal(d) {
			t.Errorf("%d: decoded %s", tt.v, back)
		}
	}
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	d := NewDecimal(huge, 5)
	if !DecimalFromBytes(d.UnscaledBytes(), 5).Equal(d) {
		t.Error("big round trip")
	}
}

func TestDecimalRescale(t *testing.T) {
	d := DecimalFromInt64(150, 2) // 1.50
	up, err := d.Rescale(4)
	if err != nil || up.String() != "1.5000" {
		t.Fatalf("%s %v", up, err)
	}
	down, err := d.Rescale(1)
	if err != nil || down.String() != "1.5" {
		t.Fatalf("%s %v", down, err)
	}
	if _, err := d.Rescale(0); err == nil {
		t.Fatal("lossy rescale accepted")
	}
	if f := DecimalFromInt64(-12345, 3).Float64(); f != -12.345 {
		t.Fatalf("Float64 = %v", f)
	}
}

func TestDateTime(t *testing.T) {
	ts := time.Date(2023, 11, 14, 22, 13, 20, 123e6, time.UTC)
	if days := EpochDays(ts); days != 19675 || !DateFromEpochDays(days).Equal(time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("days %d", days)
	}
	if ms := MillisOfDay(ts); ms != (22*3600+13*60+20)*1000+123 || !TimeFromMillisOfDay(ms).Equal(time.Date(1970, 1, 1, 22, 13, 20, 123e6, time.UTC)) {
		t.Fatalf("ms %d", ms)
	}
	before := time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)
	if EpochDays(before) != -1 || MillisOfDay(before) != 23*3600*1000 {
		t.Fatalf("pre-epoch: %d %d", EpochDays(before), MillisOfDay(before))
	}
	if _, err := DecimalScale(&Schema{Type: TypeBytes, Name: DecimalName}); err == nil ||
		err.Error() != "Invalid Decimal schema: scale parameter not found." {
		t.Fatal(err)
	}
}
