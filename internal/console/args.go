package console

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/IBM/sarama"
)

// ParseConfigs parses key=value pairs (the -c flag of topic create and
// alter-config) into a map. The value may contain '='; the key may not be
// empty. A key given twice is an error, so a typo does not silently win.
func ParseConfigs(pairs []string) (map[string]string, error) {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: config %q: want key=value", ErrInvalidArgument, p)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%w: config %q given twice", ErrInvalidArgument, k)
		}
		m[k] = v
	}
	return m, nil
}

// ParseHeaders parses key=value pairs (the -H flag of produce) into record
// headers, in order. The value may contain '=' and may be empty; a pair
// without '=' is an error. The same key may appear more than once, as Kafka
// headers allow.
func ParseHeaders(pairs []string) ([]sarama.RecordHeader, error) {
	hs := make([]sarama.RecordHeader, 0, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: header %q: want key=value", ErrInvalidArgument, p)
		}
		hs = append(hs, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	return hs, nil
}

// SplitKey splits a console producer line at the first occurrence of sep
// into key and value, as Kafka's console producer does with parse.key. Both
// returned slices alias line. It returns ErrNoKeySeparator when sep does not
// occur.
func SplitKey(line, sep []byte) (key, value []byte, err error) {
	i := bytes.Index(line, sep)
	if i < 0 || len(sep) == 0 {
		return nil, nil, ErrNoKeySeparator
	}
	return line[:i:i], line[i+len(sep):], nil
}
