package configs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"
)

// TestStoreSessionKey: the session key a Java leader writes is read, ours
// is written in the same format and read back by every store, a tombstone
// forgets it, and a malformed one is skipped with a warning, keeping the
// key before it.
func TestStoreSessionKey(t *testing.T) {
	forEachStoreBackend(t, func(t *testing.T, b *storeBackend) {
		var warned skipWarnings
		changes := newChangeLog()
		s := b.open(t, StoreOptions{Logger: slog.New(&warned), Listener: changes.listen})
		c := storeCtx(t)
		if k := s.SessionKey(); k != nil {
			t.Fatalf("session key of an empty topic = %+v, want none", k)
		}

		b.inject(t, rec("session-key", `{"key":"c2VjcmV0LWtleS1ieXRlcw==","algorithm":"HmacSHA256","creation-timestamp":1700000000000}`))
		must(t, s.Sync(c))
		want := &SessionKey{Key: []byte("secret-key-bytes"), Algorithm: "HmacSHA256", Created: time.UnixMilli(1700000000000)}
		if got := s.SessionKey(); !reflect.DeepEqual(got, want) {
			t.Fatalf("foreign session key = %+v, want %+v", got, want)
		}

		ours := SessionKey{Key: bytes.Repeat([]byte{0xA5}, 32), Algorithm: "HmacSHA512", Created: time.UnixMilli(1800000000123)}
		must(t, s.PutSessionKey(c, ours))
		if got := s.SessionKey(); !reflect.DeepEqual(got, &ours) {
			t.Fatalf("session key after our write = %+v, want %+v", got, ours)
		}
		raw := b.raw(t)
		last := raw[len(raw)-1]
		var body map[string]any
		if err := json.Unmarshal(last.Value, &body); err != nil || string(last.Key) != "session-key" {
			t.Fatalf("last record %q = %s (%v)", last.Key, last.Value, err)
		}
		wantBody := map[string]any{"key": "paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaU=", "algorithm": "HmacSHA512", "creation-timestamp": 1800000000123.0}
		if !reflect.DeepEqual(body, wantBody) {
			t.Errorf("session-key record = %v, want %v", body, wantBody)
		}
		fresh := b.open(t, StoreOptions{})
		if got := fresh.SessionKey(); !reflect.DeepEqual(got, &ours) {
			t.Errorf("session key read by a new store = %+v, want %+v", got, ours)
		}

		b.inject(t,
			rec("session-key", `{"key":"not base64!","algorithm":"HmacSHA256","creation-timestamp":1}`),
			rec("session-key", `{"key":"c2VjcmV0","creation-timestamp":1}`))
		must(t, s.Sync(c))
		warned.check(t, 2)
		if got := s.SessionKey(); !reflect.DeepEqual(got, &ours) {
			t.Errorf("session key after malformed records = %+v, want %+v kept", got, ours)
		}

		b.inject(t, rec("session-key", "<tombstone>"))
		must(t, s.Sync(c))
		if k := s.SessionKey(); k != nil {
			t.Errorf("session key after a tombstone = %+v, want none", k)
		}
		var kinds int
		for _, ch := range changes.drain() {
			if ch.Kind == ChangeSessionKey {
				kinds++
			}
		}
		if kinds != 3 {
			t.Errorf("%d session key changes announced, want 3 (foreign, ours, tombstone)", kinds)
		}
		if err := s.PutSessionKey(c, SessionKey{Algorithm: "HmacSHA256"}); err == nil {
			t.Error("PutSessionKey without a secret succeeded")
		}
	})
}
