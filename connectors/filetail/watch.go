package filetail

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/fsnotify/fsnotify"
)

// watcher turns file system events into a latency hint: any event wakes
// the waiting Poll, and events that can mean a new, renamed or removed
// file (or a lost event queue) ask for a scan. The scan, not the events,
// decides what happened.
type watcher struct {
	w      *fsnotify.Watcher
	log    *slog.Logger
	wake   chan struct{} // capacity 1: a pending wake-up
	rescan atomic.Bool
	dirs   map[string]bool // directories watched or failed to watch
	wg     sync.WaitGroup
}

// newWatcher starts watching; without inotify (or similar) it returns a
// watcher that never fires, and the periodic scan does all the work.
func newWatcher(log *slog.Logger) *watcher {
	wt := &watcher{log: log, wake: make(chan struct{}, 1), dirs: make(map[string]bool)}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("no file system events; relying on the periodic scan", "error", err)
		return wt
	}
	wt.w = w
	wt.wg.Add(1)
	go wt.run()
	return wt
}

func (wt *watcher) run() {
	defer wt.wg.Done()
	for {
		select {
		case ev, ok := <-wt.w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				wt.rescan.Store(true)
			}
			wt.notify()
		case err, ok := <-wt.w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				wt.rescan.Store(true)
				wt.notify()
			}
		}
	}
}

func (wt *watcher) notify() {
	select {
	case wt.wake <- struct{}{}:
	default:
	}
}

// watch adds a directory, once; failures (too many watches) are logged
// once and left to the scan. Called from Poll's goroutine only.
func (wt *watcher) watch(dir string) {
	if wt.w == nil || wt.dirs[dir] {
		return
	}
	wt.dirs[dir] = true
	if err := wt.w.Add(dir); err != nil {
		wt.log.Warn("cannot watch directory; relying on the periodic scan for it", "dir", dir, "error", err)
	}
}

// forget drops directories that no longer exist, so that a directory
// created again at the same path is watched again.
func (wt *watcher) forget(keep map[string]bool) {
	for dir := range wt.dirs {
		if !keep[dir] {
			delete(wt.dirs, dir)
			if wt.w != nil {
				_ = wt.w.Remove(dir) // already gone with its directory, usually
			}
		}
	}
}

// close stops the event goroutine and waits for it.
func (wt *watcher) close() error {
	if wt.w == nil {
		return nil
	}
	err := wt.w.Close()
	wt.wg.Wait()
	return err
}
