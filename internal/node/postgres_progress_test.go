package node

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"conflux/connectors"
	"conflux/internal/pgtest"
)

// TestPostgresSnapshotProgress follows a snapshot of two tables in the task
// status and in /metrics. The connector is created paused with a tiny
// queue, so the snapshot stops a few rows into the first table and stays
// there until it is resumed; it then ends with every row of both tables
// counted, the estimates replaced by the rows read.
func TestPostgresSnapshotProgress(t *testing.T) {
	pg := pgtest.Start(t)
	db := pg.CreateDatabase(t, "shop")
	pg.Exec(t, db, "CREATE TABLE public.a (id int PRIMARY KEY, v text)", "CREATE TABLE public.b (id int PRIMARY KEY, v text)",
		"INSERT INTO public.a SELECT g, 'a' || g FROM generate_series(1, 3000) g", "ANALYZE public.a",
		"INSERT INTO public.b SELECT g, 'b' || g FROM generate_series(1, 2000) g") // b is never analysed: counted
	base := startStandalone(t, t.TempDir())
	postConnector(t, base, fmt.Sprintf(`{"name":"prog","initial_state":"PAUSED","config":{"connector.class":"postgres",
		"database.url":%q,"topic.prefix":"prog","slot.name":"prog","max.queue.size":"10","max.batch.size":"10"}}`, pg.DSN(db)))

	var paused connectors.SnapshotProgress
	eventually(t, "the paused snapshot to report rows", func() bool {
		p, ok := snapshotStatus(t, base, "prog")
		paused = p
		return ok && p.RowsDone > 0
	})
	if paused.Completed || paused.TablesTotal != 2 || paused.TablesDone != 0 || len(paused.Tables) != 2 {
		t.Fatalf("paused snapshot progress %+v", paused)
	}
	if a := paused.Tables[0]; a.Table != "public.a" || a.Done || a.RowsDone >= 3000 || a.RowsTotal != 3000 {
		t.Errorf("paused progress of public.a %+v, want a few rows of an estimated 3000", a)
	}
	if b := paused.Tables[1]; b.Table != "public.b" || b.RowsDone != 0 || b.RowsTotal != 2000 {
		t.Errorf("paused progress of public.b %+v, want 0 of 2000 counted", b)
	}
	metrics := scrape(t, base)
	for series, want := range map[string]float64{
		`conflux_source_snapshot_tables{connector="prog",task="0"}`:                         2,
		`conflux_source_snapshot_completed{connector="prog",task="0"}`:                      0,
		`conflux_source_snapshot_rows_expected{connector="prog",table="public.b",task="0"}`: 2000,
	} {
		if got, ok := metrics[series]; !ok || got != want {
			t.Errorf("paused: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if got := metrics[`conflux_source_snapshot_rows{connector="prog",table="public.a",task="0"}`]; got <= 0 || got >= 3000 {
		t.Errorf("paused: rows of public.a in /metrics %v, want between 0 and 3000", got)
	}

	resp, body := fetch(t, http.MethodPut, base+"/connectors/prog/resume", nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("resume: %d %s", resp.StatusCode, body)
	}
	var done connectors.SnapshotProgress
	eventually(t, "the snapshot to complete", func() bool {
		p, ok := snapshotStatus(t, base, "prog")
		done = p
		return ok && p.Completed
	})
	if done.TablesDone != 2 || done.RowsDone != 5000 || done.RowsTotal != 5000 || done.RowsDone <= paused.RowsDone {
		t.Errorf("completed snapshot progress %+v (paused at %d rows)", done, paused.RowsDone)
	}
	for _, tb := range done.Tables {
		if !tb.Done || tb.RowsDone != tb.RowsTotal {
			t.Errorf("table progress at the end %+v", tb)
		}
	}
	waitTopicEnd(t, base, "prog.public.b", 2000, 30*time.Second)
	metrics = scrape(t, base)
	for series, want := range map[string]float64{
		`conflux_source_snapshot_completed{connector="prog",task="0"}`:                      1,
		`conflux_source_snapshot_tables_done{connector="prog",task="0"}`:                    2,
		`conflux_source_snapshot_rows{connector="prog",table="public.a",task="0"}`:          3000,
		`conflux_source_snapshot_rows_expected{connector="prog",table="public.a",task="0"}`: 3000,
	} {
		if got, ok := metrics[series]; !ok || got != want {
			t.Errorf("completed: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	var task struct {
		State    string
		Snapshot *connectors.SnapshotProgress
	}
	getJSON(t, base+"/connectors/prog/tasks/0/status", &task)
	if task.State != "RUNNING" || task.Snapshot == nil || !task.Snapshot.Completed {
		t.Errorf("task status %+v", task)
	}
}

// snapshotStatus reads the first task's snapshot progress from the
// connector's status; ok is false while the status has none.
func snapshotStatus(t *testing.T, base, name string) (connectors.SnapshotProgress, bool) {
	t.Helper()
	var st struct {
		Tasks []struct {
			Snapshot *connectors.SnapshotProgress
		}
	}
	resp, body := fetch(t, http.MethodGet, base+"/connectors/"+name+"/status", nil)
	if resp.StatusCode == http.StatusNotFound { // not written yet
		return connectors.SnapshotProgress{}, false
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET status: %d %s", resp.StatusCode, body)
	}
	if len(st.Tasks) == 0 || st.Tasks[0].Snapshot == nil {
		return connectors.SnapshotProgress{}, false
	}
	return *st.Tasks[0].Snapshot, true
}

// scrape reads the worker's /metrics into series (name and labels, as
// printed) → value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, body := fetch(t, http.MethodGet, base+"/metrics", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
