package connectors

import "testing"

func TestRecordCopy(t *testing.T) {
	r := &Record{Topic: "t", KafkaPartition: Partition(3), Value: "v", SourcePartition: map[string]any{"f": "x"}}
	r.Headers.Add("a", "1", StringSchema)
	c := r.Copy()
	c.Headers.Add("b", "2", nil)
	c.Value = "w"
	if len(r.Headers) != 1 || r.Value != "v" || len(c.Headers) != 2 {
		t.Fatal("Copy shares headers or fields")
	}
	if tp := r.TopicPartition(); tp.String() != "t-3" {
		t.Fatal(tp)
	}
	if tp := (&Record{Topic: "x"}).TopicPartition(); tp.Partition != -1 {
		t.Fatal(tp)
	}
}

func TestHeaders(t *testing.T) {
	var h Headers
	h.Add("k", "1", nil)
	h.Add("x", "2", nil)
	h.Add("k", "3", nil)
	if last, ok := h.Last("k"); !ok || last.Value != "3" {
		t.Fatal("Last")
	}
	if len(h.All("k")) != 2 {
		t.Fatal("All")
	}
	h.Remove("k")
	if len(h) != 1 || h[0].Key != "x" {
		t.Fatal("Remove")
	}
	if _, ok := h.Last("k"); ok {
		t.Fatal("removed header found")
	}
	var raw RawHeaders
	raw.Add("a", []byte("1"))
	raw.Add("a", []byte("2"))
	if v, ok := raw.Last("a"); !ok || string(v) != "2" {
		t.Fatal("RawHeaders.Last")
	}
	if CreateTime.String() != "CreateTime" || LogAppendTime.String() != "LogAppendTime" || NoTimestampType.String() != "NoTimestampType" {
		t.Fatal("TimestampType names")
	}
}
