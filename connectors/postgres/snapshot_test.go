package postgres

import (
	"fmt"
	"sync"
	"testing"

	"conflux/connectors"
)

// TestSnapshotThenStreamNoGapNoDuplicate snapshots a table while another
// session keeps inserting into it: every row arrives exactly once, either
// in the snapshot (op r) or in the stream (op c), and the stream starts
// with what the snapshot did not see.
func TestSnapshotThenStreamNoGapNoDuplicate(t *testing.T) {
	h := newHarness(t,
		"CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL, qty int)",
		"INSERT INTO public.orders SELECT g, 'item-' || g, g % 7 FROM generate_series(1, 20000) g")
	h.start()
	const extra = 2000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 20001; i <= 20000+extra; i += 100 {
			h.pg.Exec(t, h.db, fmt.Sprintf("INSERT INTO public.orders SELECT g, 'late-' || g, 1 FROM generate_series(%d, %d) g", i, i+99))
		}
	}()
	topic := "dbserver1.public.orders"
	h.pollUntil("every row", countAtLeast(topic, 20000+extra))
	wg.Wait()
	seen := map[int32]string{}
	snapshotDone := false
	for i, ev := range changes(h.got, topic) {
		id := field(ev, "after", "id").(int32)
		op := ev.Get("op").(string)
		if prev, dup := seen[id]; dup {
			t.Fatalf("row %d twice: %s then %s", id, prev, op)
		}
		seen[id] = op
		switch op {
		case "r":
			if snapshotDone {
				t.Fatalf("event %d: a snapshot read after the stream began", i)
			}
		case "c":
			snapshotDone = true
		default:
			t.Fatalf("event %d: op %s", i, op)
		}
	}
	if len(seen) != 20000+extra {
		t.Fatalf("%d distinct rows, want %d", len(seen), 20000+extra)
	}
	last := h.got[0]
	for _, r := range h.got {
		if r.Value.(*connectors.Struct).Get("op") == "r" {
			last = r
		}
	}
	src := last.Value.(*connectors.Struct).Get("source").(*connectors.Struct)
	if src.Get("snapshot") != "last" || last.SourceOffset[offSnapshotCompleted] != true {
		t.Errorf("the last snapshot record: source.snapshot %v, offset %v", src.Get("snapshot"), last.SourceOffset)
	}
	if h.got[0].Topic != topic || h.got[0].Key.(*connectors.Struct).Get("id") == nil {
		t.Errorf("record key %v on %s", h.got[0].Key, h.got[0].Topic)
	}
}

// TestPollHonoursMaxBatchSize snapshots two tables and streams a
// transaction with max.batch.size smaller than the reader's batches and
// max.queue.size not a multiple of it: no poll returns more than
// max.batch.size records, every row arrives once and in order, and only the
// snapshot's last event says snapshot=last.
func TestPollHonoursMaxBatchSize(t *testing.T) {
	h := newHarness(t,
		"CREATE TABLE public.a (id int PRIMARY KEY)", "CREATE TABLE public.b (id int PRIMARY KEY)",
		"INSERT INTO public.a SELECT generate_series(1, 25)", "INSERT INTO public.b SELECT generate_series(1, 12)")
	h.config["max.batch.size"], h.config["max.queue.size"] = "3", "7"
	h.start()
	h.pg.Exec(t, h.db, "INSERT INTO public.b SELECT generate_series(13, 30)")
	var got []*connectors.Record
	for len(changes(got, "dbserver1.public.b")) < 30 {
		recs, err := h.task.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 3 {
			t.Fatalf("poll returned %d records, max.batch.size is 3", len(recs))
		}
		got = append(got, recs...)
	}
	a, b := changes(got, "dbserver1.public.a"), changes(got, "dbserver1.public.b")
	lasts := 0
	for i, ev := range append(a, b...) {
		if ev.Get("source").(*connectors.Struct).Get("snapshot") == "last" {
			lasts++
			if i != len(a)+11 {
				t.Errorf("snapshot=last on event %d, want the snapshot's last (%d)", i, len(a)+11)
			}
		}
	}
	if len(a) != 25 || len(b) != 30 || lasts != 1 {
		t.Fatalf("got %d events of a, %d of b, %d marked last; want 25, 30, 1", len(a), len(b), lasts)
	}
	for i, ev := range b {
		if id := field(ev, "after", "id"); id != int32(i+1) {
			t.Fatalf("event %d of b has id %v, want %d", i, id, i+1)
		}
	}
}
