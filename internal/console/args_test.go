package console

import (
	"errors"
	"reflect"
	"testing"

	"github.com/IBM/sarama"
)

func TestParseConfigs(t *testing.T) {
	got, err := ParseConfigs([]string{"cleanup.policy=compact", "a=b=c", "empty="})
	want := map[string]string{"cleanup.policy": "compact", "a": "b=c", "empty": ""}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range [][]string{{"novalue"}, {"=x"}, {"a=1", "a=2"}} {
		if _, err := ParseConfigs(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseConfigs(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	got, err := ParseHeaders([]string{"trace=abc", "eq=a=b", "empty=", "trace=again"})
	want := []sarama.RecordHeader{
		{Key: []byte("trace"), Value: []byte("abc")},
		{Key: []byte("eq"), Value: []byte("a=b")},
		{Key: []byte("empty"), Value: []byte("")},
		{Key: []byte("trace"), Value: []byte("again")},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"nokey", "=v"} {
		if _, err := ParseHeaders([]string{bad}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseHeaders(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		line, sep, key, value string
		err                   error
	}{
		{"k:v", ":", "k", "v", nil},
		{"k:v:w", ":", "k", "v:w", nil},
		{":v", ":", "", "v", nil},
		{"k:", ":", "k", "", nil},
		{"k::v", "::", "k", "v", nil},
		{"k\tv", "\t", "k", "v", nil},
		{"novalue", ":", "", "", ErrNoKeySeparator},
		{"x", "", "", "", ErrNoKeySeparator},
	}
	for _, tt := range tests {
		k, v, err := SplitKey([]byte(tt.line), []byte(tt.sep))
		if !errors.Is(err, tt.err) || string(k) != tt.key || string(v) != tt.value {
			t.Errorf("SplitKey(%q, %q) = %q, %q, %v", tt.line, tt.sep, k, v, err)
		}
		if err == nil && k == nil {
			t.Errorf("SplitKey(%q): empty key must not be null", tt.line)
		}
	}
	// The key must not be able to grow into the value.
	k, v, _ := SplitKey([]byte("ab:cd"), []byte(":"))
	_ = append(k, 'X')
	if string(v) != "cd" {
		t.Errorf("appending to the key changed the value to %q", v)
	}
}

func TestParseAcksAndCompression(t *testing.T) {
	acks := map[string]sarama.RequiredAcks{"all": sarama.WaitForAll, "-1": sarama.WaitForAll, "ALL": sarama.WaitForAll,
		"1": sarama.WaitForLocal, "0": sarama.NoResponse}
	for in, want := range acks {
		if got, err := ParseAcks(in); err != nil || got != want {
			t.Errorf("ParseAcks(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseAcks("2"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ParseAcks(2) = %v", err)
	}
	codecs := map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "": sarama.CompressionNone,
		"gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4, "ZSTD": sarama.CompressionZSTD}
	for in, want := range codecs {
		if got, err := ParseCompression(in); err != nil || got != want {
			t.Errorf("ParseCompression(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseCompression("brotli"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ParseCompression(brotli) = %v", err)
	}
}

func TestParseStartOffset(t *testing.T) {
	tests := []struct {
		offset        string
		fromBeginning bool
		want          int64
		ok            bool
	}{
		{"", false, sarama.OffsetNewest, true},
		{"", true, sarama.OffsetOldest, true},
		{"earliest", false, sarama.OffsetOldest, true},
		{"earliest", true, sarama.OffsetOldest, true},
		{"latest", false, sarama.OffsetNewest, true},
		{"latest", true, 0, false},
		{"42", false, 42, true},
		{"0", false, 0, true},
		{"42", true, 0, false},
		{"-5", false, 0, false},
		{"soon", false, 0, false},
	}
	for _, tt := range tests {
		got, err := ParseStartOffset(tt.offset, tt.fromBeginning)
		if tt.ok && (err != nil || got != tt.want) || !tt.ok && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseStartOffset(%q, %v) = %d, %v", tt.offset, tt.fromBeginning, got, err)
		}
	}
}

func TestSplitBootstrap(t *testing.T) {
	got, err := SplitBootstrap(" a:1, b:2,,")
	if err != nil || !reflect.DeepEqual(got, []string{"a:1", "b:2"}) {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := SplitBootstrap(" , "); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty list: %v", err)
	}
}

func TestNewConsumerValidation(t *testing.T) {
	brokers := []string{"127.0.0.1:1"}
	bad := []ConsumerOptions{
		{Brokers: brokers},
		{Topic: "t"},
		{Brokers: brokers, Topic: "t", Partition: -1, StartOffset: 5},
		{Brokers: brokers, Topic: "t", Partition: -1, StartOffset: sarama.OffsetOldest, MaxMessages: -1},
	}
	for _, o := range bad {
		if _, err := NewConsumer(o); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewConsumer(%+v) = %v, want ErrInvalidArgument", o, err)
		}
	}
}

func TestNewProducerValidation(t *testing.T) {
	brokers := []string{"127.0.0.1:1"}
	bad := []ProducerOptions{
		{Brokers: brokers},
		{Topic: "t"},
		{Brokers: brokers, Topic: "t", Idempotent: true, Acks: sarama.WaitForLocal},
	}
	for _, o := range bad {
		if _, err := NewProducer(o); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("NewProducer(%+v) = %v, want ErrInvalidArgument", o, err)
		}
	}
}
