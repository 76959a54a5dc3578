package filetail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"/var/log/*.log", "/var/log/app.log", true},
		{"/var/log/*.log", "/var/log/app.log.1", false},
		{"/var/log/*.log", "/var/log/sub/app.log", false},
		{"/var/log/**/*.log", "/var/log/app.log", true},
		{"/var/log/**/*.log", "/var/log/a/b/c/app.log", true},
		{"/var/log/**", "/var/log/a/b", true},
		{"/var/**/x/*.log", "/var/x/a.log", true},
		{"/var/**/x/*.log", "/var/q/x/a.log", true},
		{"/var/**/x/*.log", "/var/q/y/a.log", false},
		{"/var/log/app-?.log", "/var/log/app-1.log", true},
		{"/var/log/app-[0-9].log", "/var/log/app-x.log", false},
		{"/var/log/app.log", "/var/log/app.log", true},
		{"/var/log/*.log", "/other/app.log", false},
	} {
		g, err := compileGlob(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.match(c.path); got != c.want {
			t.Errorf("%s matches %s = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
	if _, err := compileGlob("/var/[x.log"); err == nil {
		t.Error("a malformed pattern compiled")
	}
}

// TestGlobDiscoversNewFiles starts with no file at all, then creates
// files in new nested directories: the ** pattern finds them, exclude
// keeps out what it names, and each file is read from its start.
func TestGlobDiscoversNewFiles(t *testing.T) {
	dir := t.TempDir()
	tl := startTail(t, newOffsetStore(), map[string]string{
		KeyPaths:   filepath.Join(dir, "**", "*.log"),
		KeyExclude: "*-debug.log," + filepath.Join(dir, "skip", "**"),
	})
	tl.pollOnce()
	want := map[string]string{
		filepath.Join(dir, "top.log"):             "top",
		filepath.Join(dir, "a", "b", "deep.log"):  "deep",
		filepath.Join(dir, "a", "c", "other.log"): "other",
	}
	for p, line := range want {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		appendFile(t, p, line+"\n")
	}
	appendFile(t, filepath.Join(dir, "a", "b", "app-debug.log"), "excluded\n")
	os.MkdirAll(filepath.Join(dir, "skip"), 0o755)
	appendFile(t, filepath.Join(dir, "skip", "x.log"), "excluded\n")
	appendFile(t, filepath.Join(dir, "a", "not-a-log.txt"), "excluded\n")
	tl.pollUntil("a line from each file", atLeast(len(want)))
	// One more scan must not bring the excluded files in.
	tl.task.mu.Lock()
	tl.task.lastScan = tl.task.lastScan.Add(-tl.task.s.pollInterval)
	tl.task.mu.Unlock()
	tl.pollOnce()
	for _, r := range tl.recs {
		if want[r.path] != r.text() {
			t.Errorf("record %q from %s", r.text(), r.path)
		}
		delete(want, r.path)
	}
	if len(want) > 0 {
		t.Errorf("files not read: %v", want)
	}
}

// TestDirectoryInPaths rejects a path without wildcards that names a
// directory, in validation and when starting, naming the directory.
func TestDirectoryInPaths(t *testing.T) {
	dir := t.TempDir()
	config := map[string]string{KeyTopic: "logs", KeyPaths: dir}
	c := &Connector{}
	errs := c.ValidateConfig(context.Background(), config)
	if len(errs) != 1 || errs[0].Key != KeyPaths || !strings.Contains(errs[0].Error(), dir) {
		t.Errorf("ValidateConfig = %v", errs)
	}
	if err := c.Start(context.Background(), nil, config); !errors.Is(err, ErrDirectory) {
		t.Errorf("Start = %v, want ErrDirectory", err)
	}
	// A task whose path became a directory fails with the same error.
	sub := filepath.Join(dir, "later")
	task := &Task{}
	if err := task.Start(context.Background(), nil, map[string]string{KeyTopic: "logs", KeyPaths: sub}); err != nil {
		t.Fatal(err)
	}
	defer task.Stop()
	os.Mkdir(sub, 0o755)
	if _, err := task.Poll(context.Background()); !errors.Is(err, ErrDirectory) || !strings.Contains(err.Error(), sub) {
		t.Errorf("Poll = %v, want ErrDirectory naming %s", err, sub)
	}
	if errs := c.ValidateConfig(context.Background(), map[string]string{KeyTopic: "logs", KeyPaths: "[bad"}); len(errs) != 0 {
		t.Errorf("ValidateConfig repeats ConfigDef errors: %v", errs)
	}
	if _, err := configDef.Parse(map[string]string{KeyTopic: "logs", KeyPaths: "/x/[bad"}); err == nil {
		t.Error("a malformed pattern passed the ConfigDef")
	}
}

// TestStartPositionEnd skips what existing files hold (the rest of a
// partial last line included) but reads files that appear later from
// their start.
func TestStartPositionEnd(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.log")
	appendFile(t, old, "before\nhalf")
	tl := startTail(t, newOffsetStore(), map[string]string{KeyPaths: filepath.Join(dir, "*.log"), KeyStartPosition: "end"})
	tl.pollOnce()
	appendFile(t, old, " line\nafter\n")
	appendFile(t, filepath.Join(dir, "new.log"), "fresh\n")
	tl.pollUntil("two lines", atLeast(2))
	got := texts(tl.recs)
	slices.Sort(got)
	if !slices.Equal(got, []string{"after", "fresh"}) {
		t.Errorf("lines %q, want after and fresh", got)
	}
}
