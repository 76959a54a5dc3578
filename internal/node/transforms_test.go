package node

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTransformsPipeline runs datagen orders through a sink-side chain of
// Kafka SMTs, an expression filter and an expression map, next to a plain
// sink of the same topic, and checks every transformed line against the
// plain one it came from.
func TestTransformsPipeline(t *testing.T) {
	dir := t.TempDir()
	base := startStandaloneWith(t, dir, map[string]string{"offset.flush.interval.ms": "200"})
	plain, shaped := filepath.Join(dir, "plain.txt"), filepath.Join(dir, "shaped.txt")
	postConnector(t, base, `{"name":"gen","config":{"connector.class":"datagen","kafka.topic":"orders","quickstart":"orders",
		"iterations":"300","random.seed":"11","max.interval":"0"}}`)
	postConnector(t, base, fmt.Sprintf(`{"name":"plain","config":{"connector.class":"file-sink","topics":"orders","file":%q}}`, plain))
	postConnector(t, base, fmt.Sprintf(`{"name":"shaped","config":{"connector.class":"file-sink","topics":"orders","file":%q,
		"transforms":"flat,big,calc,drop,tag,stamp",
		"transforms.flat.type":"org.apache.kafka.connect.transforms.Flatten$Value","transforms.flat.delimiter":"_",
		"transforms.big.type":"filter","transforms.big.expression":"value.orderunits > 5",
		"transforms.calc.type":"map","transforms.calc.set.double_units":"value.orderunits * 2","transforms.calc.remove":"itemid",
		"transforms.drop.type":"ReplaceField$Value","transforms.drop.exclude":"ordertime",
		"transforms.tag.type":"InsertField$Value","transforms.tag.static.field":"source","transforms.tag.static.value":"datagen",
		"transforms.tag.predicate":"tombstone","transforms.tag.negate":"true",
		"transforms.stamp.type":"InsertField$Value","transforms.stamp.topic.field":"from_topic",
		"transforms.stamp.predicate":"isOrders","transforms.stamp.negate":"true",
		"predicates":"tombstone,isOrders",
		"predicates.tombstone.type":"org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
		"predicates.isOrders.type":"TopicNameMatches","predicates.isOrders.pattern":"orders"}}`, shaped))

	waitLines(t, plain, 300, timeoutE2E)
	var want []map[string]any
	for _, rec := range readJSONLines(t, plain) {
		if rec["orderunits"].(float64) > 5 {
			want = append(want, rec)
		}
	}
	if len(want) == 0 || len(want) == 300 {
		t.Fatalf("%d of 300 orders have more than 5 units: the filter would not be tested", len(want))
	}
	waitLines(t, shaped, len(want), timeoutE2E)
	got := readJSONLines(t, shaped)
	if len(got) != len(want) {
		t.Fatalf("%d transformed lines, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		address := w["address"].(map[string]any)
		if g["orderid"] != w["orderid"] || g["double_units"] != w["orderunits"].(float64)*2 || g["address_city"] != address["city"] ||
			g["source"] != "datagen" || g["from_topic"] != nil {
			t.Errorf("line %d: got %v from %v", i, g, w)
		}
		for _, gone := range []string{"itemid", "ordertime", "address"} {
			if _, ok := g[gone]; ok {
				t.Errorf("line %d still has %s: %v", i, gone, g)
			}
		}
	}
}

// timeoutE2E bounds the waits of these end-to-end tests.
const timeoutE2E = 60e9

// readJSONLines decodes a file of JSON objects, one per line.
func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %q: %v", path, sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestTransformValidation checks that the validate endpoint reports bad
// transform and predicate settings on their own keys, with Kafka
// Connect's messages and, for expressions, the position of the fault.
func TestTransformValidation(t *testing.T) {
	base := startStandalone(t, t.TempDir())
	config := map[string]string{
		"connector.class": "file-sink", "topics": "orders", "file": "/dev/null",
		"transforms":              "ex,f,m,nope,c",
		"transforms.ex.type":      "ExtractField$Value",
		"transforms.f.type":       "filter",
		"transforms.f.expression": "value.amount >",
		"transforms.m.type":       "map",
		"transforms.m.set.total":  "value.price * (",
		"transforms.nope.type":    "NoSuchTransform",
		"transforms.c.type":       "org.apache.kafka.connect.transforms.Cast$Value",
		"transforms.c.spec":       "a:decimal",
		"transforms.c.predicate":  "p",
		"predicates":              "p",
		"predicates.p.type":       "TopicNameMatches",
		"predicates.p.pattern":    "(",
	}
	body, _ := json.Marshal(config)
	req, _ := http.NewRequest(http.MethodPut, base+"/connector-plugins/file-sink/config/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var result struct {
		ErrorCount int `json:"error_count"`
		Configs    []struct {
			Value struct {
				Name   string
				Errors []string
			}
		}
	}
	if err := json.Unmarshal(raw, &result); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("validate: %s: %s", resp.Status, raw)
	}
	errs := map[string]string{}
	for _, c := range result.Configs {
		errs[c.Value.Name] = strings.Join(c.Value.Errors, " | ")
	}
	for key, want := range map[string]string{
		"transforms.ex.field":     `Missing required configuration "transforms.ex.field" which has no default value.`,
		"transforms.f.expression": "at line 1, column",
		"transforms.m.set.total":  "Expression does not compile",
		"transforms.nope.type":    "Class NoSuchTransform could not be found.",
		"transforms.c.spec":       "Invalid type found in casting spec: decimal",
		"predicates.p.pattern":    "Invalid value (",
	} {
		if !strings.Contains(errs[key], want) {
			t.Errorf("%s: errors %q, want %q", key, errs[key], want)
		}
	}
	if result.ErrorCount < 6 {
		t.Errorf("error_count %d, want at least 6: %s", result.ErrorCount, raw)
	}

	_, plugins := fetch(t, http.MethodGet, base+"/connector-plugins?connectorsOnly=false", nil)
	for _, want := range []string{
		`"class":"org.apache.kafka.connect.transforms.Cast$Value","type":"transformation"`,
		`"class":"org.apache.kafka.connect.transforms.predicates.HasHeaderKey","type":"predicate"`,
		`"class":"io.conflux.transforms.ExpressionFilter","type":"transformation"`,
	} {
		if !strings.Contains(plugins, want) {
			t.Errorf("GET /connector-plugins lacks %s", want)
		}
	}
}

// TestTransformErrors sends records through a map whose expression fails
// at run time for some of them: with errors.tolerance=all they reach the
// dead letter queue with the failure in their headers and the rest reach
// the sink; with none the task fails with the expression in its trace.
// Neither takes the worker down.
func TestTransformErrors(t *testing.T) {
	dir := t.TempDir()
	base := startStandaloneWith(t, dir, map[string]string{"offset.flush.interval.ms": "200"})
	out := filepath.Join(dir, "ok.txt")
	postConnector(t, base, `{"name":"gen","config":{"connector.class":"datagen","kafka.topic":"orders","quickstart":"orders",
		"iterations":"200","random.seed":"5","max.interval":"0"}}`)
	failing := `"transforms":"m","transforms.m.type":"map","transforms.m.set.ratio":"value.orderunits > 5 ? value.orderunits : value.nothing * 2"`
	postConnector(t, base, fmt.Sprintf(`{"name":"tolerant","config":{"connector.class":"file-sink","topics":"orders","file":%q,%s,
		"errors.tolerance":"all","errors.deadletterqueue.topic.name":"orders-dlq","errors.deadletterqueue.topic.replication.factor":"1",
		"errors.deadletterqueue.context.headers.enable":"true"}}`, out, failing))
	postConnector(t, base, fmt.Sprintf(`{"name":"strict","config":{"connector.class":"file-sink","topics":"orders","file":%q,%s}}`,
		filepath.Join(dir, "strict.txt"), failing))

	var status struct {
		Tasks []struct{ State, Trace string }
	}
	eventually(t, "the strict sink's task FAILED", func() bool {
		resp, body := fetch(t, http.MethodGet, base+"/connectors/strict/status", nil)
		return resp.StatusCode == http.StatusOK && json.Unmarshal([]byte(body), &status) == nil &&
			len(status.Tasks) == 1 && status.Tasks[0].State == "FAILED"
	})
	if tr := status.Tasks[0].Trace; !strings.Contains(tr, "value.nothing * 2") {
		t.Errorf("the failed task's trace does not name the expression: %s", tr)
	}

	var dlq struct {
		Records []struct {
			Headers []struct {
				Key   string
				Value struct{ Data string }
			}
		}
	}
	var good int
	eventually(t, "every record in the sink file or the dead letter queue", func() bool {
		resp, body := fetch(t, http.MethodGet, base+"/ui/api/topics/orders-dlq/partitions/0/records?limit=200", nil)
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &dlq) != nil {
			return false
		}
		good = 0
		if data, err := os.ReadFile(out); err == nil {
			good = bytes.Count(data, []byte{'\n'})
		}
		return good+len(dlq.Records) == 200
	})
	if good == 0 || len(dlq.Records) == 0 {
		t.Fatalf("%d records written and %d dead-lettered: the test data must have both", good, len(dlq.Records))
	}
	for _, line := range readJSONLines(t, out) {
		if line["ratio"] != line["orderunits"] {
			t.Errorf("written record without its computed field: %v", line)
		}
	}
	h := map[string]string{}
	for _, x := range dlq.Records[0].Headers {
		h[x.Key] = x.Value.Data
	}
	if h["__connect.errors.stage"] != "TRANSFORMATION" || !strings.Contains(h["__connect.errors.exception.message"], "set.ratio") {
		t.Errorf("dead letter headers %v do not say which transform failed", h)
	}
	if resp, _ := fetch(t, http.MethodGet, base+"/connectors/tolerant/status", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the worker stopped answering: %s", resp.Status)
	}
}
