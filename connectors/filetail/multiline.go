package filetail

import (
	"regexp"
	"time"
)

// multilineConfig says which lines a joiner joins, with Filebeat's
// pattern, negate and match semantics.
type multilineConfig struct {
	pattern  *regexp.Regexp
	negate   bool
	before   bool // match=before: continuation lines belong to the next line
	maxLines int
	timeout  time.Duration
}

// continuation reports whether line continues an event rather than
// starting (after) or ending (before) one.
func (c *multilineConfig) continuation(line []byte) bool {
	return c.pattern.Match(line) != c.negate
}

// emitFunc receives a complete event: its text (valid only during the
// call) and the byte offsets of its first line's start and of the end of
// its last line, newline included.
type emitFunc func(text []byte, start, end int64)

// joiner joins the lines of one file into multiline events. The pending
// event is not emitted, so the file's committed position never passes
// its first line: after a restart it is read and joined again.
type joiner struct {
	cfg     *multilineConfig
	maxSize int

	text       []byte
	lines      int
	start, end int64
	since      time.Time // when the pending event last grew
}

func newJoiner(cfg *multilineConfig, maxSize int) *joiner {
	return &joiner{cfg: cfg, maxSize: maxSize}
}

// add feeds one line (without its newline) spanning [start, end) of the
// file.
func (j *joiner) add(line []byte, start, end int64, now time.Time, emit emitFunc) {
	cont := j.cfg.continuation(line)
	if j.lines > 0 && (j.lines >= j.cfg.maxLines || len(j.text)+1+len(line) > j.maxSize) {
		j.flush(emit)
	}
	switch {
	case j.cfg.before && cont:
		j.append(line, start, end, now)
	case j.cfg.before:
		j.append(line, start, end, now)
		j.flush(emit)
	case cont && j.lines > 0:
		j.append(line, start, end, now)
	default:
		j.flush(emit)
		j.append(line, start, end, now)
	}
}

func (j *joiner) append(line []byte, start, end int64, now time.Time) {
	if j.lines == 0 {
		j.text = j.text[:0]
		j.start = start
	} else {
		j.text = append(j.text, '\n')
	}
	j.text = append(j.text, line...)
	j.end = end
	j.lines++
	j.since = now
}

// flush emits the pending event, if any.
func (j *joiner) flush(emit emitFunc) {
	if j.lines == 0 {
		return
	}
	j.lines = 0
	emit(j.text, j.start, j.end)
}

// pending reports whether an event waits for more lines.
func (j *joiner) pending() bool { return j.lines > 0 }

// deadline is when the pending event is flushed if nothing more comes.
func (j *joiner) deadline() time.Time { return j.since.Add(j.cfg.timeout) }
