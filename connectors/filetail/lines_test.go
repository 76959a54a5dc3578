package filetail

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRestartResumesExactly stops a task in the middle of a file, one
// batch at a time, appends to the file and starts a new task with the
// stored offsets, several times over: every line arrives exactly once.
// The lines are multi-byte UTF-8, so character and byte counts differ,
// and offsets must be bytes.
func TestRestartResumesExactly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	store := newOffsetStore()
	var want, all []string
	var b strings.Builder
	n := 0
	line := func() string {
		n++
		return fmt.Sprintf("%d: café ünïcödé 日本語 😀 %s", n, strings.Repeat("é", n%7))
	}
	for range 5 {
		for range 37 {
			l := line()
			want = append(want, l)
			b.WriteString(l + "\r\n")
		}
		appendFile(t, path, b.String())
		b.Reset()
		tl := startTail(t, store, map[string]string{KeyPaths: path, KeyBatchSize: "10"})
		tl.pollUntil("one batch", atLeast(1))
		tl.task.Stop()
		all = append(all, texts(tl.recs)...)
	}
	tl := startTail(t, store, map[string]string{KeyPaths: path})
	tl.pollUntil("the rest", atLeast(len(want)-len(all)))
	all = append(all, texts(tl.recs)...)
	if !slices.Equal(all, want) {
		t.Fatalf("got %d lines, want %d; first difference at %d", len(all), len(want), firstDiff(all, want))
	}
	data, _ := os.ReadFile(path)
	last := tl.recs[len(tl.recs)-1]
	if last.end != int64(len(data)) {
		t.Errorf("last offset %d, file has %d bytes", last.end, len(data))
	}
	for _, r := range tl.recs {
		if !strings.HasPrefix(string(data[r.offset:]), r.text()+"\r\n") {
			t.Fatalf("bytes at %d are not record %q and its newline", r.offset, r.text())
		}
		if got := strings.TrimSuffix(string(data[r.offset:max(r.end, r.offset)]), "\r\n"); r.end >= 0 && got != r.text() {
			t.Fatalf("bytes %d..%d are %q, record %q", r.offset, r.end, got, r.text())
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestRestartAfterFileChanged stores an offset, then replaces the file's
// content: the fingerprint no longer matches and the file is read from
// its start.
func TestRestartAfterFileChanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, "first\nsecond\n")
	store := newOffsetStore()
	tl := startTail(t, store, map[string]string{KeyPaths: path})
	tl.pollUntil("two lines", atLeast(2))
	tl.task.Stop()
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	f.WriteAt([]byte("FIRST\nSECOND\nthird\n"), 0)
	f.Close()
	tl = startTail(t, store, map[string]string{KeyPaths: path})
	tl.pollUntil("three lines", atLeast(3))
	if got := texts(tl.recs); !slices.Equal(got, []string{"FIRST", "SECOND", "third"}) {
		t.Errorf("lines %q", got)
	}
}

// TestLongLines splits a line longer than max.line.bytes at UTF-8
// boundaries, or skips it, and reads on either way; the partial line at
// the end waits for its newline.
func TestLongLines(t *testing.T) {
	long := strings.Repeat("ab€", 50) // 250 bytes, € is 3
	for _, c := range []struct {
		action string
		want   []string
	}{
		{"split", nil},
		{"skip", []string{"short", "after"}},
	} {
		t.Run(c.action, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			appendFile(t, path, "short\n"+long+"\nafter\n"+long[:40])
			// One record a poll, so that each carries its end offset.
			tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: path, KeyMaxLineBytes: "64", KeyMaxLineAction: c.action, KeyBatchSize: "1"})
			if c.action == "skip" {
				tl.pollUntil("two lines", atLeast(2))
				tl.pollOnce()
				if got := texts(tl.recs); !slices.Equal(got, c.want) {
					t.Errorf("lines %q, want %q", got, c.want)
				}
				return
			}
			tl.pollUntil("the line after the long one", func(r []got) bool { return len(r) > 0 && r[len(r)-1].text() == "after" })
			got := texts(tl.recs)
			if got[0] != "short" || strings.Join(got[1:len(got)-1], "") != long {
				t.Fatalf("pieces %q do not make the long line", got)
			}
			for i, p := range got[1 : len(got)-1] {
				if len(p) > 64 || !utf8.ValidString(p) {
					t.Errorf("piece %d: %d bytes, valid UTF-8 %v", i, len(p), utf8.ValidString(p))
				}
			}
			for i := 1; i < len(tl.recs); i++ {
				if tl.recs[i].offset != tl.recs[i-1].end {
					t.Errorf("piece %d starts at %d, the one before ends at %d", i, tl.recs[i].offset, tl.recs[i-1].end)
				}
			}
		})
	}
}

// TestInvalidUTF8 replaces invalid bytes in the value, while offsets
// still count the bytes of the file.
func TestInvalidUTF8(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendFile(t, path, "ok\xff\xfeok\nnext\n")
	tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: path})
	tl.pollUntil("two lines", atLeast(2))
	if got := tl.recs[0].text(); got != "ok\uFFFDok" {
		t.Errorf("value %q", got)
	}
	if tl.recs[1].offset != 7 {
		t.Errorf("second line at %d, want 7", tl.recs[1].offset)
	}
}

// TestMultiline joins lines with each combination of negate and match.
func TestMultiline(t *testing.T) {
	for _, c := range []struct {
		name, pattern, negate, match, input string
		want                                []string
	}{
		{"indented continuations after", `^\s`, "false", "after",
			"Exception: boom\n  at a()\n  at b()\nnext\n  at c()\nlast\n",
			[]string{"Exception: boom\n  at a()\n  at b()", "next\n  at c()"}},
		{"lines not starting with a date after", `^\d{4}-`, "true", "after",
			"2026-01-01 one\ncontinued\n2026-01-02 two\n2026-01-03 three\nmore\nmore\n2026-01-04 four\n",
			[]string{"2026-01-01 one\ncontinued", "2026-01-02 two", "2026-01-03 three\nmore\nmore"}},
		{"backslash continuations before", `\\$`, "false", "before",
			"a \\\nb \\\nc\nd\n",
			[]string{"a \\\nb \\\nc", "d"}},
		{"lines not ending with a semicolon before", `;$`, "true", "before",
			"select *\nfrom t;\nselect 1;\n",
			[]string{"select *\nfrom t;", "select 1;"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			appendFile(t, path, c.input)
			tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: path, KeyMultilinePattern: c.pattern,
				KeyMultilineNegate: c.negate, KeyMultilineMatch: c.match, KeyMultilineTimeout: "600000", KeyBatchSize: "1"})
			tl.pollUntil("the joined lines", atLeast(len(c.want)))
			tl.pollOnce()
			if got := texts(tl.recs); !slices.Equal(got, c.want) {
				t.Errorf("events %q, want %q", got, c.want)
			}
			// Offsets: an event starts where the one before ended.
			for i := 1; i < len(tl.recs); i++ {
				if tl.recs[i].offset != tl.recs[i-1].end {
					t.Errorf("event %d starts at %d, the one before ends at %d", i, tl.recs[i].offset, tl.recs[i-1].end)
				}
			}
		})
	}
}

// TestMultilineTimeoutAndRestart publishes a pending event once the file
// has been quiet for multiline.timeout.ms; an event still pending when the
// task stops is not covered by the stored offset and is joined again
// after a restart.
func TestMultilineTimeoutAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendFile(t, path, "E1\n  a\nE2\n  b\n")
	store := newOffsetStore()
	config := map[string]string{KeyPaths: path, KeyMultilinePattern: `^\s`, KeyMultilineTimeout: "600000"}
	tl := startTail(t, store, config)
	tl.pollUntil("the first event", atLeast(1))
	tl.pollOnce()
	tl.task.Stop()
	if got := texts(tl.recs); !slices.Equal(got, []string{"E1\n  a"}) {
		t.Fatalf("before the restart: %q", got)
	}
	appendFile(t, path, "  c\n")
	config[KeyMultilineTimeout] = "50"
	tl = startTail(t, store, config)
	tl.pollUntil("the second event, by timeout", atLeast(1))
	if got := texts(tl.recs); !slices.Equal(got, []string{"E2\n  b\n  c"}) {
		t.Errorf("after the restart: %q", got)
	}
}

// TestParseJSON decodes JSON lines, whole numbers as int64, and keeps a
// line that is not JSON as a string with a parse error header.
func TestParseJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendFile(t, path, `{"level":"info","n":3,"x":1.5,"tags":["a"]}`+"\nnot json\n{\"a\":1} {}\n")
	task := &Task{}
	if err := task.Start(t.Context(), nil, map[string]string{KeyTopic: "logs", KeyPaths: path, KeyParse: "json"}); err != nil {
		t.Fatal(err)
	}
	defer task.Stop()
	recs, err := task.Poll(t.Context())
	if err != nil || len(recs) != 3 {
		t.Fatalf("Poll = %d records, %v", len(recs), err)
	}
	m, ok := recs[0].Value.(map[string]any)
	if !ok || m["n"] != int64(3) || m["x"] != 1.5 || m["level"] != "info" || recs[0].ValueSchema != nil {
		t.Errorf("parsed %#v", recs[0].Value)
	}
	for _, r := range recs[1:] {
		if _, bad := r.Headers.Last(HeaderParseError); !bad || r.Value.(string) == "" {
			t.Errorf("record %#v: want a string with %s", r.Value, HeaderParseError)
		}
	}
}
