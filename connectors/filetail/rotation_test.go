package filetail

import (
	"os"
	"path/filepath"
	"testing"
)

// writeLines writes lines from..to-1 to f, one write each, as a logger
// would.
func writeLines(t *testing.T, f *os.File, from, to int) {
	for i := from; i < to; i++ {
		if _, err := f.WriteString(numbered(i) + "\n"); err != nil {
			t.Error(err)
			return
		}
	}
}

// checkExactlyOnceInOrder fails unless recs are lines 0..n-1, each once,
// in order.
func checkExactlyOnceInOrder(t *testing.T, recs []got, n int) {
	t.Helper()
	if len(recs) != n {
		t.Errorf("%d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if lineNumber(r.text()) != i {
			t.Fatalf("record %d is %q (from %s), want line %d", i, r.text(), r.path, i)
		}
	}
}

// TestRotationByRenameUnderWrites rotates a log while it is written: the
// writer renames app.log to app.log.1 (which the pattern does not match),
// keeps writing to the renamed file for a while, as a logger does until it
// reopens, then writes to a new app.log. Every line arrives exactly once
// and in order: the old file is finished before the new one.
func TestRotationByRenameUnderWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: filepath.Join(dir, "*.log"), KeyBatchSize: "300"})
	const total, rotateAt, lateWrites = 30000, 12000, 500

	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.Create(path)
		if err != nil {
			t.Error(err)
			return
		}
		writeLines(t, f, 0, rotateAt)
		if err := os.Rename(path, path+".1"); err != nil {
			t.Error(err)
		}
		writeLines(t, f, rotateAt, rotateAt+lateWrites)
		f.Close()
		f, err = os.Create(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		writeLines(t, f, rotateAt+lateWrites, total)
	}()
	tl.pollUntil("every line", atLeast(total))
	<-done
	checkExactlyOnceInOrder(t, tl.recs, total)
	ids := map[string]bool{}
	for _, r := range tl.recs {
		ids[r.fileID] = true
	}
	if len(ids) != 2 {
		t.Errorf("records from %d file identities, want 2", len(ids))
	}
	// The old file is closed once finished.
	tl.pollUntil("the renamed file closed", func([]got) bool { return len(tl.task.files) == 1 })
}

// TestRotationByCopyTruncateUnderWrites copies the log aside and
// truncates it while it is written (logrotate's copytruncate). The lines
// after the truncation all arrive, once and in order; of those before it,
// what arrives is a gap-free prefix (lines written between the task's last
// read and the truncation exist only in the copy, as with every tailer).
func TestRotationByCopyTruncateUnderWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: path, KeyBatchSize: "300"})
	const total, rotateAt = 20000, 8000

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		writeLines(t, f, 0, rotateAt)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(path+".1", data, 0o644); err != nil {
			t.Error(err)
		}
		if err := os.Truncate(path, 0); err != nil {
			t.Error(err)
		}
		writeLines(t, f, rotateAt, total)
	}()
	tl.pollUntil("the last line", func(r []got) bool { return len(r) > 0 && lineNumber(r[len(r)-1].text()) == total-1 })
	<-done
	i := 0
	for ; i < len(tl.recs) && i < rotateAt && lineNumber(tl.recs[i].text()) == i; i++ {
	}
	t.Logf("%d of the %d lines written before the truncation were read before it", i, rotateAt)
	rest := tl.recs[i:]
	if len(rest) != total-rotateAt {
		t.Fatalf("%d lines after the prefix of %d, want %d", len(rest), i, total-rotateAt)
	}
	for j, r := range rest {
		if lineNumber(r.text()) != rotateAt+j {
			t.Fatalf("after the truncation, record %d is %q, want line %d", j, r.text(), rotateAt+j)
		}
	}
	if rest[0].offset != 0 {
		t.Errorf("first line after the truncation at offset %d, want 0", rest[0].offset)
	}
}

// TestTruncationRereadsFromStart truncates a file that was read to its
// end and writes new lines: they are read from offset 0.
func TestTruncationRereadsFromStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, "one\ntwo\nthree\n")
	tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: path})
	tl.pollUntil("three lines", atLeast(3))
	if err := os.WriteFile(path, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tl.pollUntil("the line after truncation", atLeast(4))
	if r := tl.recs[3]; r.text() != "new" || r.offset != 0 || r.end != 4 {
		t.Errorf("after truncation: %+v, want new at 0..4", r)
	}
}

// TestDeletedFileIsFinishedAndReplaced deletes a file whose last line has
// no newline: the line is published when the file is finished, and a new
// file at the same path is read from its start.
func TestDeletedFileIsFinishedAndReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, "a\nb\npartial")
	tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: path})
	tl.pollUntil("two lines", atLeast(2))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	tl.pollUntil("the partial line", atLeast(3))
	if got := tl.recs[2].text(); got != "partial" {
		t.Errorf("last line of the deleted file = %q", got)
	}
	appendFile(t, path, "c\n")
	tl.pollUntil("the new file's line", atLeast(4))
	if r := tl.recs[3]; r.text() != "c" || r.offset != 0 {
		t.Errorf("new file: %+v", r)
	}
}
