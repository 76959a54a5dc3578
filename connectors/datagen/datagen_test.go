package datagen

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"conflux/configs"
	"conflux/connectors"
)

// fakeTaskContext serves stored offsets to a task.
type fakeTaskContext struct {
	config  map[string]string
	offsets map[string]map[string]any // by task.id
}

func (c *fakeTaskContext) Config() map[string]string { return c.config }

func (c *fakeTaskContext) Offset(_ context.Context, p map[string]any) (map[string]any, error) {
	return c.offsets[partitionKey(p)], nil
}

func (c *fakeTaskContext) Offsets(ctx context.Context, ps []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(ps))
	for i, p := range ps {
		out[i], _ = c.Offset(ctx, p)
	}
	return out, nil
}

func partitionKey(p map[string]any) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// jsonRoundTrip returns m as the offset store gives it back: through JSON,
// with integers as int64 (the SPI's promise) unless asFloat is set.
func jsonRoundTrip(t *testing.T, m map[string]any, asFloat bool) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if asFloat {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	for k, v := range out {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				out[k] = i
			}
		}
	}
	return out
}

func startTask(t *testing.T, cfg map[string]string, tctx connectors.SourceTaskContext) *Task {
	t.Helper()
	task := &Task{}
	if err := task.Start(context.Background(), tctx, cfg); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { task.Stop() })
	return task
}

// pollN polls until it has n records.
func pollN(t *testing.T, task *Task, n int) []*connectors.Record {
	t.Helper()
	var out []*connectors.Record
	for len(out) < n {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("Poll: %v", err)
		}
		if len(recs) == 0 {
			t.Fatalf("Poll returned no records after %d", len(out))
		}
		out = append(out, recs...)
	}
	return out[:n]
}

func baseConfig(extra ...string) map[string]string {
	cfg := map[string]string{KeyTopic: "topic", KeyMaxInterval: "0"}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i]] = extra[i+1]
	}
	return cfg
}

func TestRegistered(t *testing.T) {
	for _, name := range []string{"datagen", "io.confluent.kafka.connect.datagen.DatagenConnector", "DatagenConnector", "Datagen"} {
		p, err := connectors.Lookup(name)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", name, err)
		}
		if p.Name != "datagen" || p.Type != connectors.PluginSource || p.ConfigDef == nil {
			t.Errorf("Lookup(%q) = %+v", name, p)
		}
		if _, ok := p.New().(connectors.SourceConnector); !ok {
			t.Errorf("New() is not a SourceConnector")
		}
	}
}

// quickstartFields lists each quickstart's schema name, fields and key
// field, as in Confluent's connector.
var quickstartFields = map[string]struct {
	name   string
	fields []string
	key    string
}{
	"users":        {"ksql.users", []string{"registertime", "userid", "regionid", "gender"}, "userid"},
	"pageviews":    {"ksql.pageviews", []string{"viewtime", "userid", "pageid"}, "viewtime"},
	"orders":       {"ksql.orders", []string{"ordertime", "orderid", "itemid", "orderunits", "address"}, "orderid"},
	"ratings":      {"ksql.ratings", []string{"rating_id", "user_id", "stars", "route_id", "rating_time", "channel", "message"}, "rating_id"},
	"clickstream":  {"ksql.clickstream", []string{"ip", "userid", "remote_user", "time", "_time", "request", "status", "bytes", "referrer", "agent"}, "ip"},
	"stock_trades": {"ksql.StockTrade", []string{"side", "quantity", "symbol", "price", "account", "userid"}, "symbol"},
	"inventory":    {"ksql.inventory", []string{"id", "quantity", "productid"}, "id"},
	"product":      {"ksql.product", []string{"id", "name", "description", "price"}, "id"},
	"purchases":    {"ksql.purchase", []string{"id", "quantity", "productid", "total"}, "id"},
	"transactions": {"datagen.example.transactions", []string{"transaction_id", "card_id", "user_id", "purchase_id", "store_id"}, "transaction_id"},
}

func TestQuickstartsProduceValidRecords(t *testing.T) {
	if got, want := QuickstartNames(), slices.Sorted(maps.Keys(quickstartFields)); !slices.Equal(got, want) {
		t.Fatalf("quickstarts = %v, want %v", got, want)
	}
	for name, want := range quickstartFields {
		t.Run(name, func(t *testing.T) {
			task := startTask(t, baseConfig(KeyQuickstart, strings.ToUpper(name), KeyRandomSeed, "7"), nil)
			recs := pollN(t, task, 2*pollBatch)
			for i, r := range recs {
				if r.Topic != "topic" {
					t.Fatalf("topic %q", r.Topic)
				}
				if r.ValueSchema.Name != want.name || r.ValueSchema.Type != connectors.TypeStruct {
					t.Fatalf("value schema %v, want %s", r.ValueSchema, want.name)
				}
				var names []string
				for _, f := range r.ValueSchema.Fields {
					names = append(names, f.Name)
				}
				if !slices.Equal(names, want.fields) {
					t.Fatalf("fields %v, want %v", names, want.fields)
				}
				if err := r.ValueSchema.Validate(r.Value); err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				s := r.Value.(*connectors.Struct)
				if s.Schema() != r.ValueSchema {
					t.Fatalf("struct schema is not the record's value schema")
				}
				if r.KeySchema != connectors.StringSchema || r.Key != keyString(s.Get(want.key)) {
					t.Fatalf("key %v (%v), want field %s = %v", r.Key, r.KeySchema, want.key, s.Get(want.key))
				}
				if _, ok := r.Key.(string); !ok {
					t.Fatalf("key %T is not a string", r.Key)
				}
				if !maps.Equal(r.SourcePartition, map[string]any{"task.id": int64(0)}) {
					t.Fatalf("partition %v", r.SourcePartition)
				}
				// An unthrottled poll returns pollBatch records; its last
				// carries the offset.
				if last := (i+1)%pollBatch == 0; last != (r.SourceOffset != nil) {
					t.Fatalf("record %d: offset %v", i, r.SourceOffset)
				}
				if r.SourceOffset != nil && r.SourceOffset[offsetIteration] != int64(i+1) {
					t.Fatalf("offset iteration %v, want %d", r.SourceOffset[offsetIteration], i+1)
				}
			}
		})
	}
}

func TestQuickstartValueDistributions(t *testing.T) {
	get := func(name string, n int) []*connectors.Struct {
		task := startTask(t, baseConfig(KeyQuickstart, name, KeyRandomSeed, "3"), nil)
		var out []*connectors.Struct
		for _, r := range pollN(t, task, n) {
			out = append(out, r.Value.(*connectors.Struct))
		}
		return out
	}
	userRe := regexp.MustCompile(`^User_[1-9]$`)
	regionRe := regexp.MustCompile(`^Region_[1-9]$`)
	genders := map[string]int{}
	for _, s := range get("users", 2000) {
		if rt := s.Get("registertime").(int64); rt < 1487715775521 || rt >= 1519273364600 {
			t.Errorf("registertime %d out of range", rt)
		}
		if u := s.Get("userid").(string); !userRe.MatchString(u) {
			t.Errorf("userid %q", u)
		}
		if r := s.Get("regionid").(string); !regionRe.MatchString(r) {
			t.Errorf("regionid %q", r)
		}
		genders[s.Get("gender").(string)]++
	}
	if len(genders) != 3 || genders["MALE"] < 500 || genders["FEMALE"] < 500 || genders["OTHER"] < 500 {
		t.Errorf("genders %v", genders)
	}

	for i, s := range get("pageviews", 100) {
		if v := s.Get("viewtime").(int64); v != int64(1+10*i) {
			t.Errorf("viewtime #%d = %d", i, v)
		}
		if p := s.Get("pageid").(string); !regexp.MustCompile(`^Page_[1-9][0-9]?$`).MatchString(p) {
			t.Errorf("pageid %q", p)
		}
	}

	for i, s := range get("orders", 200) {
		if v := s.Get("orderid").(int32); v != int32(i) {
			t.Errorf("orderid #%d = %d", i, v)
		}
		addr := s.Get("address").(*connectors.Struct)
		if addr.Schema().Name != "ksql.address" {
			t.Errorf("address schema %q", addr.Schema().Name)
		}
		if z := addr.Get("zipcode").(int64); z < 10000 || z > 99999 {
			t.Errorf("zipcode %d", z)
		}
		if u := s.Get("orderunits").(float64); u < 0.1 || u >= 10 {
			t.Errorf("orderunits %v", u)
		}
	}

	stars := map[int32]int{}
	for _, s := range get("ratings", 2000) {
		stars[s.Get("stars").(int32)]++
	}
	for v := int32(1); v <= 5; v++ {
		if stars[v] < 250 {
			t.Errorf("stars %d drawn %d times of 2000", v, stars[v])
		}
	}
	if len(stars) != 5 {
		t.Errorf("stars %v, want 1-5", stars)
	}

	for _, s := range get("stock_trades", 200) {
		if p := s.Get("price").(int32); p < 5 || p >= 1000 {
			t.Errorf("price %d", p)
		}
	}
	for i, s := range get("product", 50) {
		if d := s.Get("description").(string); d != strconv.Itoa(i) {
			t.Errorf("description %q, want %d", d, i)
		}
	}
}

func TestSeedDeterminism(t *testing.T) {
	cfg := baseConfig(KeyQuickstart, "orders", KeyRandomSeed, "12345")
	a := pollN(t, startTask(t, cfg, nil), 3000)
	b := pollN(t, startTask(t, cfg, nil), 3000)
	for i := range a {
		if !connectors.ValuesEqual(a[i].Value, b[i].Value) || a[i].Key != b[i].Key || !maps.Equal(a[i].SourceOffset, b[i].SourceOffset) {
			t.Fatalf("record %d differs: %v vs %v", i, a[i].Value, b[i].Value)
		}
	}

	other := maps.Clone(cfg)
	other[KeyTaskID] = "1"
	c := pollN(t, startTask(t, other, nil), pollBatch)
	same := 0
	for i := range c {
		if connectors.ValuesEqual(a[i].Value, c[i].Value) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("task 1 repeats %d records of task 0", same)
	}
	if last := c[pollBatch-1]; last.SourcePartition["task.id"] != int64(1) || last.SourceOffset[offsetSeed] != int64(12346) {
		t.Errorf("task 1 partition %v offset %v", last.SourcePartition, last.SourceOffset)
	}

	// Without a seed, every task picks its own.
	unseeded := baseConfig(KeyQuickstart, "users")
	x := pollN(t, startTask(t, unseeded, nil), 50)
	y := pollN(t, startTask(t, unseeded, nil), 50)
	same = 0
	for i := range x {
		if connectors.ValuesEqual(x[i].Value, y[i].Value) {
			same++
		}
	}
	if same == len(x) {
		t.Error("two unseeded tasks produced the same records")
	}
}

func TestResumeFromOffset(t *testing.T) {
	for _, seeded := range []bool{true, false} {
		for _, asFloat := range []bool{false, true} {
			name := "seeded=" + strconv.FormatBool(seeded) + "/float=" + strconv.FormatBool(asFloat)
			t.Run(name, func(t *testing.T) {
				cfg := baseConfig(KeyQuickstart, "clickstream", KeyTaskID, "2")
				if seeded {
					cfg[KeyRandomSeed] = "99"
				}
				first := pollN(t, startTask(t, cfg, nil), 3500)

				// The last offset committed before the "crash" is #1999's,
				// the second poll's last record.
				stored := jsonRoundTrip(t, first[2*pollBatch-1].SourceOffset, asFloat)
				tctx := &fakeTaskContext{offsets: map[string]map[string]any{
					partitionKey(first[0].SourcePartition): stored,
				}}
				resumed := pollN(t, startTask(t, cfg, tctx), 1500)
				for i, r := range resumed {
					want := first[2*pollBatch+i]
					if !connectors.ValuesEqual(r.Value, want.Value) || r.Key != want.Key {
						t.Fatalf("resumed record %d = %v, want %v", i, r.Value, want.Value)
					}
					if r.SourceOffset == nil && want.SourceOffset == nil {
						continue
					}
					if r.SourceOffset[offsetIteration] != want.SourceOffset[offsetIteration] {
						t.Fatalf("resumed offset %v, want %v", r.SourceOffset, want.SourceOffset)
					}
					if r.SourceOffset[offsetGeneration] != int64(2) || r.SourceOffset[offsetSeed] != want.SourceOffset[offsetSeed] {
						t.Fatalf("resumed offset %v", r.SourceOffset)
					}
				}
			})
		}
	}
}

func TestResumeBadOffset(t *testing.T) {
	cfg := baseConfig(KeyQuickstart, "users")
	tctx := &fakeTaskContext{offsets: map[string]map[string]any{
		partitionKey(map[string]any{"task.id": int64(0)}): {offsetIteration: "x", offsetGeneration: int64(1), offsetSeed: int64(1)},
	}}
	err := (&Task{}).Start(context.Background(), tctx, cfg)
	if !errors.Is(err, ErrBadOffset) {
		t.Fatalf("Start = %v, want ErrBadOffset", err)
	}
}

func TestIterationsStopWithoutError(t *testing.T) {
	cfg := baseConfig(KeyQuickstart, "users", KeyIterations, "1500", KeyRandomSeed, "1")
	task := startTask(t, cfg, nil)
	recs := pollN(t, task, 1500)
	if len(recs) != 1500 {
		t.Fatalf("%d records", len(recs))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	more, err := task.Poll(ctx)
	if err != nil || len(more) != 0 {
		t.Fatalf("Poll after the limit = %d records, %v", len(more), err)
	}
	if ctx.Err() == nil {
		t.Fatal("Poll returned before its context was done")
	}

	// Stop wakes a Poll that idles.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if recs, err := task.Poll(context.Background()); err != nil || len(recs) != 0 {
			t.Errorf("Poll = %d records, %v", len(recs), err)
		}
	}()
	task.Stop()
	<-done

	// The limit counts restarts too: resumed after the first poll's 1000,
	// 500 are left.
	tctx := &fakeTaskContext{offsets: map[string]map[string]any{
		partitionKey(recs[0].SourcePartition): recs[pollBatch-1].SourceOffset,
	}}
	resumed := startTask(t, cfg, tctx)
	got, err := resumed.Poll(context.Background())
	if err != nil || len(got) != 500 {
		t.Fatalf("resumed Poll = %d records, %v; want 500", len(got), err)
	}
}

func TestConnectorTaskConfigs(t *testing.T) {
	c := &Connector{}
	cfg := baseConfig(KeyQuickstart, "users", "name", "dg", "tasks.max", "3")
	if err := c.Start(context.Background(), nil, cfg); err != nil {
		t.Fatal(err)
	}
	tcs, err := c.TaskConfigs(3)
	if err != nil || len(tcs) != 3 {
		t.Fatalf("TaskConfigs = %v, %v", tcs, err)
	}
	for i, tc := range tcs {
		if tc[KeyTaskID] != strconv.Itoa(i) || tc[KeyQuickstart] != "users" {
			t.Errorf("task config %d = %v", i, tc)
		}
	}
	if _, ok := cfg[KeyTaskID]; ok {
		t.Error("TaskConfigs modified the connector's config")
	}
	if c.NewTask() == nil {
		t.Error("NewTask returned nil")
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]string
		key  string // key the error is attached to
		kind error
		msg  string
	}{
		{"missing topic", map[string]string{KeyQuickstart: "users"}, KeyTopic, configs.ErrMissing,
			`Missing required configuration "kafka.topic" which has no default value.`},
		{"no schema", map[string]string{KeyTopic: "t"}, KeyQuickstart, configs.ErrConflict,
			"Must set exactly one of quickstart, schema.string or schema.filename"},
		{"quickstart and schema.string", map[string]string{KeyTopic: "t", KeyQuickstart: "users", KeySchemaString: `{"fields":[]}`},
			KeySchemaString, configs.ErrConflict,
			"quickstart, schema.string and schema.filename are mutually exclusive, but quickstart and schema.string are set"},
		{"unknown quickstart", map[string]string{KeyTopic: "t", KeyQuickstart: "userz"}, KeyQuickstart, configs.ErrInvalidValue,
			"Invalid value userz for configuration quickstart: Unknown quickstart; valid quickstarts are: clickstream, inventory, orders, pageviews, product, purchases, ratings, stock_trades, transactions, users"},
		{"schema not JSON", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields": [`}, KeySchemaString, configs.ErrInvalidValue,
			"invalid datagen schema: not a JSON object"},
		{"unknown type", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields":[{"name":"a","type":"date"}]}`},
			KeySchemaString, configs.ErrInvalidValue, `field "a": unknown type "date"`},
		{"unknown gofakeit function", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields":[{"name":"a","type":"string","generator":"{nosuchthing}"}]}`},
			KeySchemaString, configs.ErrInvalidValue, `field "a": unknown gofakeit function "nosuchthing"`},
		{"template not a number", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields":[{"name":"a","type":"int64","generator":"{firstname}"}]}`},
			KeySchemaString, configs.ErrInvalidValue, "sample record"},
		{"bad regex", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields":[{"name":"a","type":"string","regex":"[a-"}]}`},
			KeySchemaString, configs.ErrInvalidValue, `field "a": bad regex`},
		{"two generators", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields":[{"name":"a","type":"string","regex":"x","options":["y"]}]}`},
			KeySchemaString, configs.ErrInvalidValue, "set at most one of"},
		{"range on string", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields":[{"name":"a","type":"string","range":{"min":1,"max":2}}]}`},
			KeySchemaString, configs.ErrInvalidValue, "range needs a number or timestamp field"},
		{"misspelt key", map[string]string{KeyTopic: "t", KeySchemaString: `{"fields":[{"name":"a","type":"string","generatr":"x"}]}`},
			KeySchemaString, configs.ErrInvalidValue, `unknown field "generatr"`},
		{"unreadable file", map[string]string{KeyTopic: "t", KeySchemaFilename: "/nonexistent/schema.avsc"}, KeySchemaFilename,
			configs.ErrInvalidValue, "Unable to read the schema file"},
		{"bad key field", map[string]string{KeyTopic: "t", KeyQuickstart: "users", KeySchemaKeyfield: "nope"}, KeySchemaKeyfield,
			configs.ErrInvalidValue, "No such top-level field in the schema; its fields are: registertime, userid, regionid, gender"},
		{"zero rate", map[string]string{KeyTopic: "t", KeyQuickstart: "users", KeyRate: "0"}, KeyRate, configs.ErrInvalidValue,
			"Invalid value 0.0 for configuration rate: Value must be positive, or -1 for no limit"},
		{"negative max.interval", map[string]string{KeyTopic: "t", KeyQuickstart: "users", KeyMaxInterval: "-5"}, KeyMaxInterval,
			configs.ErrInvalidValue, "Value must be at least 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Connector{}).Start(context.Background(), nil, tc.cfg)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Start = %q (kind %v), want %v containing %q", err, err, tc.kind, tc.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("more than one error: %q", err)
			}
			var cerr *configs.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("no *configs.Error in %v", err)
			}
			// The REST validate endpoint sees the error on the right key.
			found := false
			for _, cv := range configDef.Validate(tc.cfg) {
				if cv.Name == tc.key {
					for _, e := range cv.Errors {
						found = found || strings.Contains(e, tc.msg)
					}
				}
			}
			if !found {
				t.Errorf("Validate did not report %q on %s", tc.msg, tc.key)
			}
		})
	}
}

func TestSchemaFilename(t *testing.T) {
	path := t.TempDir() + "/schema.json"
	schema := `{"name":"thing","fields":[{"name":"id","type":"int64","generator":"iteration"}]}`
	if err := os.WriteFile(path, []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	task := startTask(t, baseConfig(KeySchemaFilename, path, KeySchemaKeyfield, "id"), nil)
	recs := pollN(t, task, 3)
	if recs[2].Key != "2" || recs[2].ValueSchema.Name != "thing" {
		t.Fatalf("record %v key %v", recs[2].Value, recs[2].Key)
	}
}

func TestNoKeyField(t *testing.T) {
	task := startTask(t, baseConfig(KeySchemaString, `{"fields":[{"name":"id","type":"int32"}]}`), nil)
	r := pollN(t, task, 1)[0]
	if r.Key != nil || r.KeySchema != nil {
		t.Fatalf("key %v (%v), want null", r.Key, r.KeySchema)
	}
}
