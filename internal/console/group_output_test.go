package console

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteGroupOffsets(t *testing.T) {
	owner := &GroupMember{MemberID: "m-1", ClientID: "c1", Host: "/127.0.0.1", Assignment: map[string][]int32{"t": {0, 1}}}
	idle := GroupMember{MemberID: "m-2", ClientID: "c2", Host: "/127.0.0.2"}
	d := GroupDescription{Group: "g", State: GroupStatePreparingRebalance, Members: []GroupMember{*owner, idle},
		Partitions: []GroupPartition{
			{Topic: "t", Partition: 0, Committed: 4, LogEnd: 10, Member: owner},
			{Topic: "t", Partition: 1, Committed: -1, LogEnd: 7, Member: owner},
			{Topic: "u", Partition: 0, Committed: 3, LogEnd: -1, Err: newBrokerError(3, "")},
		}}
	var out bytes.Buffer
	if err := WriteGroupOffsets(&out, []GroupDescription{d}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := [][]string{
		{"Warning:", "Consumer", "group", "'g'", "is", "rebalancing."},
		{},
		{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"},
		{"g", "t", "0", "4", "10", "6", "m-1", "/127.0.0.1", "c1"},
		{"g", "t", "1", "-", "7", "-", "m-1", "/127.0.0.1", "c1"},
		{"g", "u", "0", "3", "-", "-", "-", "-", "-", "(UNKNOWN_TOPIC_OR_PARTITION:"},
		{"g", "-", "-", "-", "-", "-", "m-2", "/127.0.0.2", "c2"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		got := strings.Fields(lines[i])
		if len(got) > len(w) {
			got = got[:len(w)]
		}
		if strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d = %q, want fields %q", i, lines[i], w)
		}
	}
	// Columns line up: every row's CURRENT-OFFSET starts where its header does.
	col := strings.Index(lines[2], "CURRENT-OFFSET")
	if lines[3][col:col+1] != "4" || lines[4][col:col+1] != "-" {
		t.Errorf("columns not aligned:\n%s", out.String())
	}
}

func TestWriteGroupViewsWithoutMembers(t *testing.T) {
	d := GroupDescription{Group: "quiet", State: GroupStateEmpty, ProtocolType: "consumer", CoordinatorID: 1,
		Coordinator: "127.0.0.1:9092"}
	var out bytes.Buffer
	if err := WriteGroupMembers(&out, []GroupDescription{d}, false); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "\nConsumer group 'quiet' has no active members.\n\n" {
		t.Errorf("members: %q", got)
	}
	out.Reset()
	if err := WriteGroupStates(&out, []GroupDescription{d}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[1]), " ") != "quiet 127.0.0.1:9092 (1) - Empty 0" {
		t.Errorf("state: %q", out.String())
	}
	out.Reset()
	if err := WriteGroupList(&out, []GroupListing{{Group: "quiet", State: "Empty"}}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "GROUP  STATE  PROTOCOL-TYPE\nquiet  Empty  -\n" {
		t.Errorf("list: %q", got)
	}
}

func TestAssignmentString(t *testing.T) {
	if got := assignmentString(map[string][]int32{"b": {2}, "a": {0, 1}}); got != "a(0,1),b(2)" {
		t.Errorf("got %q", got)
	}
	if got := assignmentString(nil); got != "-" {
		t.Errorf("empty: %q", got)
	}
}
