package datagen

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"conflux/connectors"
)

// generate compiles text and generates n values with seed 1.
func generate(t *testing.T, text string, n int) (*connectors.Schema, []*connectors.Struct) {
	t.Helper()
	c, err := compileText(text)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	g := newGenCtx(func() time.Time { return time.UnixMilli(1700000000123) })
	var out []*connectors.Struct
	for i := range int64(n) {
		g.seedFor(1, i)
		v := c.root.gen(g)
		if g.err != nil {
			t.Fatalf("record %d: %v", i, g.err)
		}
		if err := c.schema.Validate(v); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		out = append(out, v.(*connectors.Struct))
	}
	return c.schema, out
}

func TestNativeSchema(t *testing.T) {
	schema, vals := generate(t, `{
		"name": "person",
		"fields": [
			{"name": "id", "type": "int64", "generator": "{number:1,1000}"},
			{"name": "name", "type": "string", "generator": "{firstname} {lastname}"},
			{"name": "ts", "type": "timestamp", "generator": "now"},
			{"name": "seq", "type": "int64", "generator": "iteration"},
			{"name": "seq2", "type": "int32", "iteration": {"start": 100, "step": 10, "restart": 130}},
			{"name": "color", "type": "string", "options": ["red", "green", "blue"]},
			{"name": "score", "type": "double", "range": {"min": 0, "max": 100}},
			{"name": "dice", "type": "int32", "range": {"min": 1, "max": 6}},
			{"name": "code", "type": "string", "regex": "[A-Z]{3}-[0-9]{4}"},
			{"name": "vip", "type": "boolean", "odds": 0.25},
			{"name": "phone", "type": "string", "generator": "###-????"},
			{"name": "nick", "type": "string", "optional": true, "null_odds": 0.5, "generator": "{username}"},
			{"name": "when", "type": "timestamp", "range": {"min": 0, "max": 1000}},
			{"name": "address", "type": "struct", "fields": [
				{"name": "city", "type": "string", "generator": "{city}"},
				{"name": "zip", "type": "int32", "generator": "{number:10000,99999}"}
			]}
		]
	}`, 400)
	if schema.Name != "person" || schema.Field("ts").Schema.Name != connectors.TimestampName ||
		schema.Field("address").Schema.Type != connectors.TypeStruct || !schema.Field("nick").Schema.Optional {
		t.Fatalf("schema %+v", schema)
	}
	codeRe := regexp.MustCompile(`^[A-Z]{3}-[0-9]{4}$`)
	phoneRe := regexp.MustCompile(`^[1-9][0-9]{2}-[a-z]{4}$`)
	var nulls, vips int
	dice := map[int32]bool{}
	for i, s := range vals {
		if id := s.Get("id").(int64); id < 1 || id > 1000 {
			t.Errorf("id %d", id)
		}
		if name := s.Get("name").(string); !strings.Contains(name, " ") {
			t.Errorf("name %q", name)
		}
		if ts := s.Get("ts").(time.Time); ts.UnixMilli() != 1700000000123 {
			t.Errorf("ts %v", ts)
		}
		if seq := s.Get("seq").(int64); seq != int64(i) {
			t.Errorf("seq %d, want %d", seq, i)
		}
		if seq2 := s.Get("seq2").(int32); seq2 != int32(100+10*(i%3)) {
			t.Errorf("seq2 %d at %d", seq2, i)
		}
		if c := s.Get("color").(string); c != "red" && c != "green" && c != "blue" {
			t.Errorf("color %q", c)
		}
		if sc := s.Get("score").(float64); sc < 0 || sc >= 100 {
			t.Errorf("score %v", sc)
		}
		dice[s.Get("dice").(int32)] = true
		if c := s.Get("code").(string); !codeRe.MatchString(c) {
			t.Errorf("code %q", c)
		}
		if p := s.Get("phone").(string); !phoneRe.MatchString(p) {
			t.Errorf("phone %q", p)
		}
		if s.Get("vip").(bool) {
			vips++
		}
		if s.Get("nick") == nil {
			nulls++
		}
		if w := s.Get("when").(time.Time); w.UnixMilli() < 0 || w.UnixMilli() > 1000 {
			t.Errorf("when %v", w)
		}
		addr := s.Get("address").(*connectors.Struct)
		if z := addr.Get("zip").(int32); z < 10000 || z > 99999 {
			t.Errorf("zip %d", z)
		}
	}
	if len(dice) != 6 {
		t.Errorf("dice faces %v, want 1-6 inclusive", dice)
	}
	if vips < 50 || vips > 150 {
		t.Errorf("%d vips of 400 at odds 0.25", vips)
	}
	if nulls < 140 || nulls > 260 {
		t.Errorf("%d null nicks of 400 at null_odds 0.5", nulls)
	}
}

func TestAvroSchema(t *testing.T) {
	schema, vals := generate(t, `{
		"type": "record", "name": "event", "namespace": "com.example",
		"fields": [
			{"name": "id", "type": {"type": "long", "arg.properties": {"iteration": {"start": 5, "step": -1, "restart": 0}}}},
			{"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
			{"name": "note", "type": ["null", {"type": "string", "arg.properties": {"options": ["x"]}}]},
			{"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis", "arg.properties": {"range": {"min": 1000, "max": 2000}}}},
			{"name": "tags", "type": {"type": "array", "items": {"type": "string", "arg.properties": {"regex": "t[0-9]"}},
				"arg.properties": {"length": {"min": 1, "max": 3}}}},
			{"name": "attrs", "type": {"type": "map", "values": "int",
				"arg.properties": {"length": 2, "keys": {"options": ["k1", "k2", "k3"]}}}},
			{"name": "ok", "type": {"type": "boolean", "arg.properties": {"odds": 1}}},
			{"name": "ratio", "type": "float"},
			{"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [
				{"name": "v", "type": {"type": "int", "arg.properties": {"range": {"min": 3, "max": 4}}}}
			]}}
		]
	}`, 50)
	if schema.Name != "com.example.event" || schema.Field("inner").Schema.Name != "com.example.Inner" {
		t.Fatalf("names %q %q", schema.Name, schema.Field("inner").Schema.Name)
	}
	if !schema.Field("note").Schema.Optional || schema.Field("at").Schema.Name != connectors.TimestampName {
		t.Fatalf("schema %+v", schema)
	}
	for i, s := range vals {
		if id := s.Get("id").(int64); id != int64(5-i%5) {
			t.Errorf("id %d at %d", id, i)
		}
		if k := s.Get("kind").(string); k != "A" && k != "B" {
			t.Errorf("kind %q", k)
		}
		if n := s.Get("note"); n != nil && n != "x" {
			t.Errorf("note %v", n)
		}
		if at := s.Get("at").(time.Time).UnixMilli(); at < 1000 || at >= 2000 {
			t.Errorf("at %d", at)
		}
		if tags := s.Get("tags").([]any); len(tags) < 1 || len(tags) > 2 {
			t.Errorf("tags %v (length max is exclusive in Avro hints)", tags)
		}
		if attrs := s.Get("attrs").(map[string]any); len(attrs) < 1 || len(attrs) > 2 {
			t.Errorf("attrs %v", attrs)
		}
		if !s.Get("ok").(bool) {
			t.Error("ok is false at odds 1")
		}
		if v := s.Get("inner").(*connectors.Struct).Get("v").(int32); v != 3 {
			t.Errorf("inner.v %d", v)
		}
	}
}

func TestAvroSchemaErrors(t *testing.T) {
	for _, tc := range []struct{ schema, msg string }{
		{`{"type":"record","name":"r","fields":[{"name":"a","type":["int","string"]}]}`, "unions are supported only between null and one other type"},
		{`{"type":"record","name":"r","fields":[{"name":"a","type":"Other"}]}`, `unknown Avro type "Other"`},
		{`{"type":"record","name":"r","fields":[]}`, "needs fields"},
		{`{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"int","arg.properties":{"range":{"min":5,"max":5}}}}]}`, "range max must be greater than min"},
		{`{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"long","arg.properties":{"iteration":{"step":1}}}}]}`, "iteration needs a start"},
	} {
		_, err := compileText(tc.schema)
		if !errors.Is(err, ErrInvalidSchema) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("compile(%s) = %v, want %q", tc.schema, err, tc.msg)
		}
	}
}

func TestRegexEnumeration(t *testing.T) {
	re, err := compileRegex("User_[1-9]{0,1}")
	if err != nil {
		t.Fatal(err)
	}
	ws := re.enumerate()
	if len(ws) != 10 || ws[0].s != "User_" || math.Abs(ws[0].p-0.5) > 1e-12 || math.Abs(ws[1].p-0.5/9) > 1e-12 {
		t.Fatalf("enumerate = %v", ws)
	}
	if _, ok := weightedPick(ws).(*weightedNode); !ok {
		t.Error("unequal probabilities should give a weighted draw")
	}
	re, _ = compileRegex("Region_[1-9]")
	if _, ok := weightedPick(re.enumerate()).(*pickNode); !ok {
		t.Error("equal probabilities should give a uniform draw")
	}
	re, _ = compileRegex("[a-z]+@[a-z]{2,}\\.com")
	if re.enumerate() != nil {
		t.Error("an unbounded pattern was enumerated")
	}
	g := newGenCtx(time.Now)
	check := regexp.MustCompile(`^[a-z]+@[a-z]{2,}\.com$`)
	for i := range int64(200) {
		g.seedFor(9, i)
		if s := string(re.appendTo(g.r, nil)); !check.MatchString(s) {
			t.Fatalf("generated %q", s)
		}
	}

	// Weighted draws follow the probabilities.
	n := weightedPick(ws)
	counts := map[any]int{}
	for i := range int64(20000) {
		g.seedFor(3, i)
		counts[n.gen(g)]++
	}
	if c := counts["User_"]; c < 9400 || c > 10600 {
		t.Errorf("User_ drawn %d times of 20000, want about 10000", c)
	}
}

func TestTemplateParsing(t *testing.T) {
	segs, err := parseTemplate("id-{number:1,5} {randomstring:[a,b,c]}#?")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []segKind{segLiteral, segFunc, segLiteral, segFunc, segDigit, segLetter}
	if len(segs) != len(kinds) {
		t.Fatalf("segments %+v", segs)
	}
	for i, k := range kinds {
		if segs[i].kind != k {
			t.Fatalf("segment %d is %v, want %v", i, segs[i].kind, k)
		}
	}
	if got := (*segs[3].params)["strs"]; len(got) != 3 {
		t.Errorf("list parameter %v", got)
	}
	for _, bad := range []string{"{number:1,2", "{nosuch}", "{number:1,2,3,4,5}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parseTemplate(%q) succeeded", bad)
		}
	}
	_, vals := generate(t, `{"fields":[{"name":"s","type":"string","generator":"id-{number:1,5} {randomstring:[a,b,c]}"}]}`, 100)
	re := regexp.MustCompile(`^id-[1-5] [abc]$`)
	for _, v := range vals {
		if s := v.Get("s").(string); !re.MatchString(s) {
			t.Fatalf("generated %q", s)
		}
	}
}

func TestIterationWrapsAndConverts(t *testing.T) {
	_, vals := generate(t, `{"fields":[
		{"name":"a","type":"int64","iteration":{"start":10,"step":3,"restart":20}},
		{"name":"b","type":"double","iteration":{"start":0.5,"step":0.25}},
		{"name":"c","type":"string","generator":"iteration"}
	]}`, 9)
	wantA := []int64{10, 13, 16, 19, 10, 13, 16, 19, 10}
	for i, v := range vals {
		if a := v.Get("a").(int64); a != wantA[i] {
			t.Errorf("a[%d] = %d, want %d", i, a, wantA[i])
		}
		if b := v.Get("b").(float64); b != 0.5+0.25*float64(i) {
			t.Errorf("b[%d] = %v", i, b)
		}
		if c := v.Get("c").(string); c != string(rune('0'+i)) {
			t.Errorf("c[%d] = %q", i, c)
		}
	}
}
