package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"conflux/connectors"
)

// TestChangeEvents streams inserts, updates, deletes and a truncate of a
// table with REPLICA IDENTITY DEFAULT and one with FULL, and checks each
// event's op, before, after, key and the tombstone after a delete.
func TestChangeEvents(t *testing.T) {
	h := newHarness(t,
		"CREATE TABLE public.plain (id int PRIMARY KEY, name text, note text)",
		"CREATE TABLE public.full_id (id int PRIMARY KEY, name text)",
		"ALTER TABLE public.full_id REPLICA IDENTITY FULL")
	h.start()
	h.pg.Exec(t, h.db,
		"INSERT INTO public.plain VALUES (1, 'a', 'x'), (2, 'b', 'y')",
		"UPDATE public.plain SET name = 'a2' WHERE id = 1",
		"DELETE FROM public.plain WHERE id = 2",
		"INSERT INTO public.full_id VALUES (1, 'old')",
		"UPDATE public.full_id SET name = 'new' WHERE id = 1",
		"DELETE FROM public.full_id WHERE id = 1",
		"TRUNCATE public.plain")
	h.pollUntil("every change", countAtLeast("dbserver1.public.plain", 5))
	h.pollUntil("every change", countAtLeast("dbserver1.public.full_id", 3))

	plain := changes(h.got, "dbserver1.public.plain")
	want := []struct {
		op            string
		before, after any // name field
	}{{"c", nil, "a"}, {"c", nil, "b"}, {"u", nil, "a2"}, {"d", nil, nil}, {"t", nil, nil}}
	for i, w := range want {
		ev := plain[i]
		if ev.Get("op") != w.op || field(ev, "before", "name") != w.before || field(ev, "after", "name") != w.after {
			t.Errorf("plain event %d: op %v before %v after %v, want %+v", i, ev.Get("op"), ev.Get("before"), ev.Get("after"), w)
		}
	}
	if id := field(plain[3], "before", "id"); id != int32(2) {
		t.Errorf("delete under REPLICA IDENTITY DEFAULT: before.id %v, want the key 2", id)
	}
	full := changes(h.got, "dbserver1.public.full_id")
	if field(full[1], "before", "name") != "old" || field(full[1], "after", "name") != "new" || field(full[2], "before", "name") != "new" {
		t.Errorf("REPLICA IDENTITY FULL: update before %v after %v, delete before %v", full[1].Get("before"), full[1].Get("after"), full[2].Get("before"))
	}
	// The tombstone follows the delete, with the same key.
	for i, r := range h.got {
		if r.Topic == "dbserver1.public.plain" && r.Value != nil && r.Value.(*connectors.Struct).Get("op") == "d" {
			tomb := h.got[i+1]
			if tomb.Value != nil || tomb.Key.(*connectors.Struct).Get("id") != int32(2) {
				t.Errorf("after the delete: %+v, want a tombstone with key id=2", tomb)
			}
		}
	}
	src := plain[0].Get("source").(*connectors.Struct)
	if src.Get("connector") != "postgresql" || src.Get("name") != "dbserver1" || src.Get("db") != "shop" || src.Get("table") != "plain" ||
		src.Get("txId") == nil || src.Get("lsn") == nil || src.Get("snapshot") != "false" || src.Get("xmin") != nil {
		t.Errorf("source block %v (xmin null without xmin.fetch.interval.ms)", src)
	}
}

// TestXminFetch sets xmin.fetch.interval.ms: streamed events carry the
// slot's catalog_xmin in source.xmin and in their offsets, as Debezium's
// do, and the value is one the slot has held (it only moves forward).
func TestXminFetch(t *testing.T) {
	h := newHarness(t, "CREATE TABLE public.items (id int PRIMARY KEY)")
	h.config["xmin.fetch.interval.ms"] = "50"
	h.start()
	h.pg.Exec(t, h.db, "INSERT INTO public.items VALUES (1)")
	h.pollUntil("the insert", countAtLeast("dbserver1.public.items", 1))
	var slotXmin int64
	if err := h.pg.Connect(t, h.db).QueryRow(context.Background(),
		"SELECT catalog_xmin::text::bigint FROM pg_replication_slots WHERE slot_name = 'conflux'").Scan(&slotXmin); err != nil {
		t.Fatal(err)
	}
	ev := changes(h.got, "dbserver1.public.items")[0]
	xmin, _ := ev.Get("source").(*connectors.Struct).Get("xmin").(int64)
	if xmin <= 0 || xmin > slotXmin {
		t.Errorf("source.xmin %v, want the slot's catalog_xmin (now %d)", ev.Get("source").(*connectors.Struct).Get("xmin"), slotXmin)
	}
	for _, r := range h.got {
		if r.Topic == "dbserver1.public.items" && r.SourceOffset["xmin"] != xmin {
			t.Errorf("offset %v, want xmin %d", r.SourceOffset, xmin)
		}
	}
}

// TestRestartFromOffsets stops the task after some changes and starts a
// new one from the stored offsets: it continues with the first change not
// yet stored, with no gap and no repeat.
func TestRestartFromOffsets(t *testing.T) {
	h := newHarness(t, "CREATE TABLE public.t (id int PRIMARY KEY)")
	h.start()
	h.pg.Exec(t, h.db, "INSERT INTO public.t SELECT generate_series(1, 100)")
	h.pollUntil("the first 100", countAtLeast("dbserver1.public.t", 100))
	h.stop()
	h.pg.Exec(t, h.db, "INSERT INTO public.t SELECT generate_series(101, 150)", "INSERT INTO public.t VALUES (151)")
	h.start()
	h.pollUntil("the rest", countAtLeast("dbserver1.public.t", 151))
	for i, ev := range changes(h.got, "dbserver1.public.t") {
		if id := field(ev, "after", "id"); id != int32(i+1) {
			t.Fatalf("event %d is row %v: gap or repeat across the restart", i, id)
		}
	}
}

// TestPostgresRestartMidStream restarts the server while the task streams:
// the task reconnects and every row written before and after arrives.
func TestPostgresRestartMidStream(t *testing.T) {
	h := newHarness(t, "CREATE TABLE public.t (id int PRIMARY KEY)")
	h.start()
	h.pg.Exec(t, h.db, "INSERT INTO public.t SELECT generate_series(1, 50)")
	h.pollUntil("rows before the restart", countAtLeast("dbserver1.public.t", 50))
	h.pg.Stop(t)
	h.pg.Restart(t)
	h.pg.Exec(t, h.db, "INSERT INTO public.t SELECT generate_series(51, 100)")
	h.pollUntil("rows after the restart", func(got []*connectors.Record) bool {
		seen := map[any]bool{}
		for _, ev := range changes(got, "dbserver1.public.t") {
			seen[field(ev, "after", "id")] = true
		}
		return len(seen) == 100
	})
}

// TestHeartbeatAdvancesIdleSlot captures an idle table while another
// table takes writes: heartbeats carry the server's position, and once
// their offsets are stored the slot's confirmed_flush_lsn moves on.
func TestHeartbeatAdvancesIdleSlot(t *testing.T) {
	h := newHarness(t, "CREATE TABLE public.idle (id int PRIMARY KEY)", "CREATE TABLE public.busy (id int PRIMARY KEY)")
	h.config["table.include.list"] = "public.idle"
	h.config["heartbeat.interval.ms"] = "100"
	h.config["status.update.interval.ms"] = "100"
	h.start()
	before := h.slotLSN()
	h.pg.Exec(t, h.db, "INSERT INTO public.busy SELECT generate_series(1, 1000)")
	var heartbeats int
	deadline := time.Now().Add(30 * time.Second)
	for h.slotLSN() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("confirmed_flush_lsn still %s after 30s of heartbeats (%d heartbeats)", before, heartbeats)
		}
		h.pollUntil("a heartbeat", func(got []*connectors.Record) bool {
			n := 0
			for _, r := range got {
				if r.Topic == "__debezium-heartbeat.dbserver1" {
					n++
				}
			}
			if n > heartbeats {
				heartbeats = n
				return true
			}
			return false
		})
	}
	if len(changes(h.got, "dbserver1.public.busy")) != 0 {
		t.Error("a table outside table.include.list was captured")
	}
}

func (h *harness) slotLSN() string {
	var lsn string
	conn := h.pg.Connect(h.t, h.db)
	if err := conn.QueryRow(context.Background(), "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'conflux'").Scan(&lsn); err != nil {
		h.t.Fatal(err)
	}
	conn.Close(context.Background())
	// Zero-pad so that string order is LSN order.
	hi, lo, _ := strings.Cut(lsn, "/")
	return strings.Repeat("0", 8-len(hi)) + hi + "/" + strings.Repeat("0", 8-len(lo)) + lo
}

// TestConnectionErrors checks that bad credentials and a missing database
// fail the connector with the server's reason.
func TestConnectionErrors(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		name, url, want string
	}{
		{"bad password", strings.Replace(h.pg.DSN(h.db), ":secret@", ":wrong@", 1), "password authentication failed"},
		{"missing database", h.pg.DSN("nowhere"), `database "nowhere" does not exist`},
	} {
		cfg := map[string]string{"database.url": c.url, "topic.prefix": "x"}
		err := (&Connector{}).Start(context.Background(), nil, cfg)
		if !errors.Is(err, ErrConnect) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "wrong") {
			t.Errorf("%s: %v, want a connection error saying %q without the password", c.name, err, c.want)
		}
	}
}

// TestSlotLost drops the slot behind a connector's back: a restart fails
// with a message that says what to do, and with snapshot.mode=when_needed
// it snapshots again instead.
func TestSlotLost(t *testing.T) {
	h := newHarness(t, "CREATE TABLE public.t (id int PRIMARY KEY)", "INSERT INTO public.t VALUES (1)")
	h.start()
	h.pollUntil("the snapshot", countAtLeast("dbserver1.public.t", 1))
	h.stop()
	h.pg.Exec(t, h.db, "SELECT pg_drop_replication_slot('conflux')")
	err := (&Task{}).Start(context.Background(), h.store, h.config)
	if !errors.Is(err, ErrSlotLost) || !strings.Contains(err.Error(), "snapshot.mode=when_needed") {
		t.Fatalf("restart without the slot: %v", err)
	}
	h.config["snapshot.mode"] = "when_needed"
	h.start()
	h.pollUntil("a new snapshot", countAtLeast("dbserver1.public.t", 2))
	if ev := changes(h.got, "dbserver1.public.t")[1]; ev.Get("op") != "r" {
		t.Errorf("after the slot was lost: op %v, want a snapshot read", ev.Get("op"))
	}
}

// TestSchemaChange adds and drops columns while the task streams: events
// after each change carry the new shape, from pgoutput's relation
// messages.
func TestSchemaChange(t *testing.T) {
	h := newHarness(t, "CREATE TABLE public.t (id int PRIMARY KEY, a text)")
	h.start()
	h.pg.Exec(t, h.db, "INSERT INTO public.t VALUES (1, 'x')",
		"ALTER TABLE public.t ADD COLUMN b int", "INSERT INTO public.t VALUES (2, 'y', 7)",
		"ALTER TABLE public.t DROP COLUMN a", "INSERT INTO public.t VALUES (3, 8)")
	h.pollUntil("three inserts", countAtLeast("dbserver1.public.t", 3))
	evs := changes(h.got, "dbserver1.public.t")
	shape := func(ev *connectors.Struct) string {
		var names []string
		for _, f := range ev.Get("after").(*connectors.Struct).Schema().Fields {
			names = append(names, f.Name)
		}
		return strings.Join(names, ",")
	}
	for i, want := range []string{"id,a", "id,a,b", "id,b"} {
		if got := shape(evs[i]); got != want {
			t.Errorf("event %d: columns %s, want %s", i, got, want)
		}
	}
	if field(evs[2], "after", "b") != int32(8) {
		t.Errorf("event 3: b = %v", field(evs[2], "after", "b"))
	}
}

// TestPrimaryKeyChange updates a row's primary key: Debezium's delete of
// the old key, its tombstone, and a create of the new key.
func TestPrimaryKeyChange(t *testing.T) {
	h := newHarness(t, "CREATE TABLE public.t (id int PRIMARY KEY, v text)", "INSERT INTO public.t VALUES (1, 'x')")
	h.start()
	h.pollUntil("the snapshot", countAtLeast("dbserver1.public.t", 1))
	h.pg.Exec(t, h.db, "UPDATE public.t SET id = 2 WHERE id = 1")
	h.pollUntil("delete and create", countAtLeast("dbserver1.public.t", 3))
	var ops []string
	for _, r := range h.got[1:] {
		k := r.Key.(*connectors.Struct).Get("id")
		if r.Value == nil {
			ops = append(ops, fmt.Sprintf("tombstone %v", k))
			continue
		}
		ops = append(ops, fmt.Sprintf("%v %v", r.Value.(*connectors.Struct).Get("op"), k))
	}
	if got := strings.Join(ops, ", "); got != "d 1, tombstone 1, c 2" {
		t.Errorf("key change: %s, want d 1, tombstone 1, c 2", got)
	}
}
