package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"conflux/internal/pgtest"
)

// TestPostgresToFile runs the CDC source on a standalone node into a file
// sink: the snapshot and a streamed insert, update and delete arrive as
// Debezium's JSON envelopes, and once the runtime has stored the offsets
// the slot's confirmed_flush_lsn moves past the consistent point.
func TestPostgresToFile(t *testing.T) {
	pg := pgtest.Start(t)
	db := pg.CreateDatabase(t, "inventory")
	pg.Exec(t, db, "CREATE TABLE public.customers (id int PRIMARY KEY, email text NOT NULL)",
		"INSERT INTO public.customers VALUES (1, 'a@example.com'), (2, 'b@example.com')")
	dir := t.TempDir()
	base := startStandaloneWith(t, dir, map[string]string{"offset.flush.interval.ms": "200"})
	out := filepath.Join(dir, "changes.txt")
	postConnector(t, base, fmt.Sprintf(`{"name":"inventory","config":{"connector.class":"io.debezium.connector.postgresql.PostgresConnector",
		"database.url":%q,"topic.prefix":"dbserver1","plugin.name":"pgoutput","slot.name":"e2e","tombstones.on.delete":"false"}}`, pg.DSN(db)))
	postConnector(t, base, fmt.Sprintf(`{"name":"sink","config":{"connector.class":"file-sink","topics":"dbserver1.public.customers","file":%q}}`, out))
	waitLines(t, out, 2, timeoutE2E)
	var slotBefore string
	conn := pg.Connect(t, db)
	if err := conn.QueryRow(context.Background(), "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name='e2e'").Scan(&slotBefore); err != nil {
		t.Fatal(err)
	}
	pg.Exec(t, db, "INSERT INTO public.customers VALUES (3, 'c@example.com')",
		"UPDATE public.customers SET email = 'a2@example.com' WHERE id = 1", "DELETE FROM public.customers WHERE id = 2")
	waitLines(t, out, 5, timeoutE2E)
	lines := readJSONLines(t, out)
	ops := ""
	for _, l := range lines {
		op, _ := l["op"].(string)
		if op == "" {
			t.Fatalf("line without op: %v (all: %v)", l, lines)
		}
		ops += op
		if src := l["source"].(map[string]any); src["connector"] != "postgresql" || src["db"] != "inventory" {
			t.Errorf("source %v", src)
		}
	}
	if ops != "rrcud" {
		t.Errorf("ops %q, want rrcud", ops)
	}
	if after := lines[3]["after"].(map[string]any); after["email"] != "a2@example.com" {
		t.Errorf("update after %v", after)
	}
	eventually(t, "the slot's confirmed_flush_lsn past the snapshot", func() bool {
		var now string
		err := conn.QueryRow(context.Background(), "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name='e2e'").Scan(&now)
		return err == nil && now != slotBefore
	})
	var st struct{ Tasks []struct{ State string } }
	resp, body := fetch(t, http.MethodGet, base+"/connectors/inventory/status", nil)
	if json.Unmarshal([]byte(body), &st); resp.StatusCode != 200 || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
		t.Errorf("status %s", body)
	}
}
