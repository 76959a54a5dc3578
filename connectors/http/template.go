package http

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"conflux/connectors"
	"conflux/connectors/jsontext"
)

// template is a parsed http.url: literal text and ${topic}, ${partition}
// and ${key} placeholders.
type template struct {
	parts  []tplPart
	static bool   // no placeholder: the URL is always raw
	raw    string // the whole template
}

type tplPart struct {
	lit string
	ref string // "", "topic", "partition" or "key"
}

func parseTemplate(s string) (*template, error) {
	t := &template{raw: s, static: true}
	rest := s
	for rest != "" {
		i := strings.Index(rest, "${")
		if i < 0 {
			t.parts = append(t.parts, tplPart{lit: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tplPart{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed ${ in URL template %q", s)
		}
		name := rest[i+2 : i+j]
		switch name {
		case "topic", "partition", "key":
		default:
			return nil, fmt.Errorf("unknown placeholder ${%s} in URL template %q; use ${topic}, ${partition} or ${key}", name, s)
		}
		t.parts = append(t.parts, tplPart{ref: name})
		t.static = false
		rest = rest[i+j+1:]
	}
	// The URL must be valid whatever the values.
	u, err := url.Parse(t.expand("topic", 0, "key"))
	if err != nil {
		return nil, fmt.Errorf("URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("URL %q must be an http or https URL with a host", s)
	}
	return t, nil
}

func (t *template) usesKey() bool {
	for _, p := range t.parts {
		if p.ref == "key" {
			return true
		}
	}
	return false
}

func (t *template) expand(topic string, partition int32, key string) string {
	if t.static {
		return t.raw
	}
	var b strings.Builder
	for _, p := range t.parts {
		switch p.ref {
		case "":
			b.WriteString(p.lit)
		case "topic":
			b.WriteString(url.PathEscape(topic))
		case "partition":
			b.WriteString(strconv.Itoa(int(partition)))
		case "key":
			b.WriteString(url.PathEscape(key))
		}
	}
	return b.String()
}

// recordURL is the URL of rec; an error names why it has none (a null key
// for a template with ${key}).
func (t *template) recordURL(rec *connectors.Record) (string, error) {
	if t.static {
		return t.raw, nil
	}
	key := ""
	if t.usesKey() {
		switch k := rec.Key.(type) {
		case nil:
			return "", fmt.Errorf("record %s@%d has a null key, but %s uses ${key}", rec.TopicPartition(), rec.KafkaOffset, KeyURL)
		case string:
			key = k
		case []byte:
			key = string(k)
		default:
			key = string(jsontext.Append(nil, rec.KeySchema, k))
		}
	}
	return t.expand(rec.Topic, rec.TopicPartition().Partition, key), nil
}
