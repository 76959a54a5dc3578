package connectcli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// WriteProperties writes config as a Java .properties document, one
// key=value line per key in key order, escaped so that
// configs.ParseProperties (and java.util.Properties) read back exactly
// config. Unlike Properties.store it leaves non-ASCII text as UTF-8 and
// ':' and '=' in values as they are, so URLs stay readable.
func WriteProperties(w io.Writer, config map[string]string) error {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(config)) {
		b.WriteString(escapeProperty(k, true))
		b.WriteByte('=')
		b.WriteString(escapeProperty(config[k], false))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeProperty escapes a key or a value for a .properties line: the
// backslash and control characters always; in a key the characters that
// end it or start a comment; in a value a leading blank, which the reader
// would skip.
func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case ' ':
			if key || i == 0 {
				b.WriteString(`\ `)
			} else {
				b.WriteByte(' ')
			}
		case '=', ':', '#', '!':
			if key {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
