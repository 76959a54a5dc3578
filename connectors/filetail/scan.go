package filetail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// candidate is a file a scan found.
type candidate struct {
	path string
	fi   os.FileInfo
}

// find lists the regular files the patterns match, by identity (the first
// path wins when several name one file), and the directories to watch.
func (t *Task) find() (map[fileID]candidate, map[string]bool, error) {
	found := make(map[fileID]candidate)
	dirs := make(map[string]bool)
	add := func(p string) error {
		p = filepath.ToSlash(p)
		if t.s.exclude.excluded(p) {
			return nil
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil // gone between listing and stat: the next scan sees it
		}
		if !fi.Mode().IsRegular() {
			return nil // directories, devices, sockets
		}
		id, ok := idOf(fi)
		if !ok {
			return fmt.Errorf("filetail: %s: no device and inode on this platform", p)
		}
		if _, dup := found[id]; !dup {
			found[id] = candidate{path: p, fi: fi}
		}
		dirs[filepath.Dir(p)] = true
		return nil
	}
	if err := checkLiterals(t.s); err != nil {
		return nil, nil, err
	}
	for _, g := range t.s.paths {
		if fi, err := os.Stat(g.base); err == nil && fi.IsDir() {
			dirs[g.base] = true
		}
		if !g.deep {
			matches, _ := filepath.Glob(filepath.Join(g.base, filepath.Join(g.segs...)))
			for _, m := range matches {
				if err := add(m); err != nil {
					return nil, nil, err
				}
			}
			continue
		}
		err := filepath.WalkDir(g.base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable or vanished directory: skip it
			}
			if d.IsDir() {
				dirs[p] = true
				return nil
			}
			if g.match(filepath.ToSlash(p)) {
				return add(p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return found, dirs, nil
}

// scan is the source of truth: it opens files that appeared, marks those
// that no longer match as gone (renamed away or deleted, to be finished),
// and checks each open file for truncation or replaced content.
func (t *Task) scan(ctx context.Context, now time.Time) error {
	t.lastScan = now
	found, dirs, err := t.find()
	if err != nil {
		return err
	}
	for dir := range dirs {
		t.watch.watch(dir)
	}
	t.watch.forget(dirs)

	var fresh []candidate
	for id, c := range found {
		tf, ok := t.files[id]
		if !ok {
			fresh = append(fresh, c)
			continue
		}
		if tf.path != c.path {
			t.log.Info("file renamed; still reading it", "from", tf.path, "to", c.path, "file.id", tf.idStr)
			tf.path = c.path
		}
		tf.gone = time.Time{}
	}
	for id, tf := range t.files {
		if _, ok := found[id]; !ok && tf.gone.IsZero() {
			t.log.Info("file renamed away or removed; reading it to its end", "path", tf.path, "file.id", tf.idStr)
			tf.gone = now
		}
		if err := t.check(tf); err != nil {
			return err
		}
	}
	slices.SortFunc(fresh, func(a, b candidate) int {
		return a.fi.ModTime().Compare(b.fi.ModTime())
	})
	if err := t.open(ctx, fresh); err != nil {
		return err
	}
	t.initial = false
	return nil
}

// open starts reading new files: from their stored offset when it is
// still theirs, else from the beginning (or the end, on the first scan
// with start.position=end).
func (t *Task) open(ctx context.Context, fresh []candidate) error {
	if len(fresh) == 0 {
		return nil
	}
	files := make([]*tailFile, 0, len(fresh))
	for _, c := range fresh {
		f, err := os.Open(c.path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !t.unreadable[c.path] {
				t.unreadable[c.path] = true
				t.log.Warn("cannot open file; skipping it until it can be read", "path", c.path, "error", err)
			}
			continue
		}
		delete(t.unreadable, c.path)
		id, _ := idOf(c.fi)
		tf := &tailFile{id: id, idStr: id.String(), path: c.path, f: f}
		tf.partition = map[string]any{partitionFileID: tf.idStr}
		if t.s.multiline != nil {
			tf.join = newJoiner(t.s.multiline, t.s.maxLine)
		}
		files = append(files, tf)
	}
	offsets := make([]map[string]any, len(files))
	if t.tctx != nil {
		parts := make([]map[string]any, len(files))
		for i, tf := range files {
			parts[i] = tf.partition
		}
		var err error
		if offsets, err = t.tctx.Offsets(ctx, parts); err != nil {
			for _, tf := range files {
				tf.f.Close()
			}
			return fmt.Errorf("filetail: read stored offsets: %w", err)
		}
	}
	for i, tf := range files {
		if err := t.position(tf, offsets[i]); err != nil {
			tf.f.Close()
			return err
		}
		t.files[tf.id] = tf
		t.order = append(t.order, tf)
	}
	return nil
}

// position seeks a newly opened file to where reading starts.
func (t *Task) position(tf *tailFile, stored map[string]any) error {
	fi, err := tf.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: stat %s: %v", ErrRead, tf.path, err)
	}
	size := fi.Size()
	start := int64(0)
	if pos, fp, ok := storedOffset(stored); ok {
		cur, err := readFingerprint(tf.f, fp.n)
		switch {
		case err != nil:
			return fmt.Errorf("%w: %s: %v", ErrRead, tf.path, err)
		case cur != fp || pos > size:
			t.log.Warn("file changed since its offset was stored (truncated or another file on the same inode); reading it from the start",
				"path", tf.path, "file.id", tf.idStr, "position", pos, "size", size)
		default:
			start = pos
		}
	} else if t.initial && t.s.fromEnd {
		start = size
	}
	if tf.fp, err = readFingerprint(tf.f, fingerprintSize); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRead, tf.path, err)
	}
	if err := tf.seek(start); err != nil {
		return err
	}
	if start > 0 && start == size && t.s.fromEnd && stored == nil {
		// Started at the end in the middle of a line: skip its rest.
		var last [1]byte
		if _, err := tf.f.ReadAt(last[:], start-1); err == nil && last[0] != '\n' {
			tf.skipping = true
		}
	}
	return nil
}

// storedOffset reads a stored offset; ok is false when there is none or it
// is not one this connector wrote.
func storedOffset(off map[string]any) (int64, fingerprint, bool) {
	if off == nil {
		return 0, fingerprint{}, false
	}
	pos, ok1 := asInt64(off[offsetPosition])
	n, ok2 := asInt64(off[offsetFPLength])
	sum, ok3 := off[offsetFingerprint].(string)
	if !ok1 || !ok2 || !ok3 || pos < 0 || n < 0 || n > fingerprintSize {
		return 0, fingerprint{}, false
	}
	return pos, fingerprint{n: int(n), sum: sum}, true
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	}
	return 0, false
}

// check looks for truncation (size below what was read) and for content
// replaced in place (the leading bytes changed: copytruncate followed by
// new writes before this look); either way the file is read again from
// the start. It also extends a short fingerprint as the file grows.
func (t *Task) check(tf *tailFile) error {
	fi, err := tf.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: stat %s: %v", ErrRead, tf.path, err)
	}
	if fi.Size() < tf.readPos {
		t.log.Warn("file truncated; reading it again from the start", "path", tf.path, "size", fi.Size(), "position", tf.readPos)
		return t.restart(tf)
	}
	return t.verify(tf)
}

// verify rereads the fingerprint: leading bytes that changed mean new
// content; a fingerprint shorter than the file is extended.
func (t *Task) verify(tf *tailFile) error {
	cur, err := readFingerprint(tf.f, tf.fp.n)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRead, tf.path, err)
	}
	if cur != tf.fp {
		t.log.Warn("file content replaced (truncated and rewritten); reading it again from the start", "path", tf.path)
		return t.restart(tf)
	}
	if tf.fp.n < fingerprintSize {
		if tf.fp, err = readFingerprint(tf.f, fingerprintSize); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRead, tf.path, err)
		}
	}
	return nil
}

// restart reads tf again from offset 0; a pending multiline event, made
// of complete lines, is published first.
func (t *Task) restart(tf *tailFile) error {
	if tf.join != nil {
		tf.join.flush(t.emitter(tf))
	}
	fp, err := readFingerprint(tf.f, fingerprintSize)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRead, tf.path, err)
	}
	tf.fp = fp
	return tf.seek(0)
}
