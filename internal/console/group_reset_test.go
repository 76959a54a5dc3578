package console

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestParseTopicPartitions(t *testing.T) {
	for _, c := range []struct {
		in   string
		want TopicPartitions
		ok   bool
	}{
		{"orders", TopicPartitions{Topic: "orders"}, true},
		{"orders:0", TopicPartitions{Topic: "orders", Partitions: []int32{0}}, true},
		{"orders:2, 0,2", TopicPartitions{Topic: "orders", Partitions: []int32{2, 0}}, true},
		{"", TopicPartitions{}, false},
		{":1", TopicPartitions{}, false},
		{"orders:", TopicPartitions{}, false},
		{"orders:x", TopicPartitions{}, false},
		{"orders:-1", TopicPartitions{}, false},
	} {
		got, err := ParseTopicPartitions(c.in)
		if c.ok != (err == nil) || got.Topic != c.want.Topic || !slices.Equal(got.Partitions, c.want.Partitions) {
			t.Errorf("ParseTopicPartitions(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if err != nil && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseTopicPartitions(%q): error %v is not ErrInvalidArgument", c.in, err)
		}
	}
}

func TestParseResetDatetime(t *testing.T) {
	local := time.Date(2024, 3, 1, 12, 30, 15, 250e6, time.Local)
	utc := time.Date(2024, 3, 1, 12, 30, 15, 250e6, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2024-03-01T12:30:15.250", local},
		{"2024-03-01T12:30:15", local.Truncate(time.Second)},
		{"2024-03-01T12:30:15.250Z", utc},
		{"2024-03-01T12:30:15.250+02:00", utc.Add(-2 * time.Hour)},
		{"2024-03-01T12:30:15.250+0200", utc.Add(-2 * time.Hour)},
		{"2024-03-01T12:30:15Z", utc.Truncate(time.Second)},
		{" 2024-03-01T12:30:15.25Z ", utc},
	} {
		got, err := ParseResetDatetime(c.in)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseResetDatetime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "yesterday", "2024-03-01", "2024-13-01T00:00:00.000", "1709296215000"} {
		if _, err := ParseResetDatetime(in); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseResetDatetime(%q): %v, want ErrInvalidArgument", in, err)
		}
	}
}

func TestParseAssignor(t *testing.T) {
	for in, want := range map[string]string{
		"": "range", "range": "range", "RoundRobin": "roundrobin", "round-robin": "roundrobin",
		"sticky": "sticky", "org.apache.kafka.clients.consumer.RoundRobinAssignor": "roundrobin",
		"org.apache.kafka.clients.consumer.RangeAssignor": "range",
	} {
		s, err := ParseAssignor(in)
		if err != nil || s.Name() != want {
			t.Errorf("ParseAssignor(%q) = %v, %v; want %s", in, s, err, want)
		}
	}
	for _, in := range []string{"cooperative-sticky", "fancy"} {
		if _, err := ParseAssignor(in); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseAssignor(%q): %v, want ErrInvalidArgument", in, err)
		}
	}
}

func TestResetOptionsValidate(t *testing.T) {
	all := []TopicPartitions{{Topic: "t"}}
	for _, o := range []ResetOptions{
		{Topics: all, Method: ResetToEarliest},
		{Group: "g", Method: ResetToEarliest},
		{Group: "g", Topics: all, AllTopics: true, Method: ResetToEarliest},
		{Group: "g", Topics: all},
		{Group: "g", Topics: all, Method: ResetToOffset, Offset: -1},
		{Group: "g", Topics: all, Method: ResetToDatetime},
	} {
		if err := o.validate(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v: %v, want ErrInvalidArgument", o, err)
		}
	}
	if err := (&ResetOptions{Group: "g", AllTopics: true, Method: ResetShiftBy, Offset: -3}).validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestPlanResets(t *testing.T) {
	a0, a1 := topicPartition{"a", 0}, topicPartition{"a", 1}
	logs := map[topicPartition]partitionOffsets{
		a0: {start: 10, end: 50, committed: 20, atTime: 30},
		a1: {start: 0, end: 5, committed: -1, atTime: -1},
	}
	tps := []topicPartition{a0, a1}
	for _, c := range []struct {
		name string
		opts ResetOptions
		want []int64
	}{
		{"earliest", ResetOptions{Method: ResetToEarliest}, []int64{10, 0}},
		{"latest", ResetOptions{Method: ResetToLatest}, []int64{50, 5}},
		{"to-offset inside", ResetOptions{Method: ResetToOffset, Offset: 3}, []int64{10, 3}},
		{"to-offset past the end", ResetOptions{Method: ResetToOffset, Offset: 99}, []int64{50, 5}},
		{"datetime, none after: log end", ResetOptions{Method: ResetToDatetime}, []int64{30, 5}},
	} {
		plan, err := planResets(c.opts, tps, logs)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var got []int64
		for i, r := range plan {
			if r.Topic != tps[i].topic || r.Partition != tps[i].partition {
				t.Errorf("%s: plan entry %d is %s-%d", c.name, i, r.Topic, r.Partition)
			}
			got = append(got, r.Offset)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	for shift, want := range map[int64]int64{-5: 15, -15: 10, 25: 45, 40: 50} {
		plan, err := planResets(ResetOptions{Method: ResetShiftBy, Offset: shift}, []topicPartition{a0}, logs)
		if err != nil || plan[0].Offset != want {
			t.Errorf("shift-by %d: %v %v, want %d", shift, plan, err, want)
		}
	}
	if _, err := planResets(ResetOptions{Method: ResetShiftBy, Offset: 1}, tps, logs); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("shift-by without a commit: %v", err)
	}
}
