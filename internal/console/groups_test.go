package console_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"conflux/broker"
	"conflux/internal/brokertest"
	"conflux/internal/console"
)

// startGroupBroker starts a broker whose groups rebalance without the
// initial delay, so that a lone member gets its assignment at once.
func startGroupBroker(t *testing.T) string {
	t.Helper()
	return brokertest.StartWith(t, broker.Config{GroupInitialRebalanceDelay: -1})
}

func newGroupAdmin(t *testing.T, addr string) *console.GroupAdmin {
	t.Helper()
	a, err := console.NewGroupAdmin([]string{addr})
	if err != nil {
		t.Fatalf("NewGroupAdmin: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// produceLines sends the given values, one record each, to one partition.
func produceLines(t *testing.T, addr, topic string, partition int32, values ...string) {
	t.Helper()
	produce(t, console.ProducerOptions{Brokers: []string{addr}, Topic: topic, Partition: partition,
		Acks: sarama.WaitForAll}, strings.Join(values, "\n")+"\n")
}

// consumeInGroup consumes topic as a member of group until max records were
// printed (or 10 s passed without one) and returns the printed values.
func consumeInGroup(t *testing.T, addr, topic, group string, max int64, fromBeginning bool) []string {
	t.Helper()
	start := sarama.OffsetNewest
	if fromBeginning {
		start = sarama.OffsetOldest
	}
	c, err := console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: topic, Partition: -1,
		StartOffset: start, Group: group, MaxMessages: max, IdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	var out, errw bytes.Buffer
	n, err := c.Run(context.Background(), &out, &errw)
	if err != nil {
		t.Fatalf("consume in group %s: %v (stderr: %s)", group, err, errw.String())
	}
	if n != max {
		t.Fatalf("consume in group %s: got %d records, want %d:\n%s(stderr: %s)", group, n, max, out.String(), errw.String())
	}
	return strings.Fields(out.String())
}

// member is a console consumer running in a group until stopped.
type member struct {
	cancel context.CancelFunc
	done   chan struct{}
	out    bytes.Buffer
	err    error
}

// startMember runs a group consumer in the background; it is stopped when
// the test ends unless stop was called before.
func startMember(t *testing.T, addr, topic, group string) *member {
	t.Helper()
	c, err := console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: topic, Partition: -1,
		StartOffset: sarama.OffsetOldest, Group: group})
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		var errw bytes.Buffer
		_, m.err = c.Run(ctx, &m.out, &errw)
	}()
	t.Cleanup(func() { m.stop(t) })
	return m
}

// stop cancels the member and waits until it left the group.
func (m *member) stop(t *testing.T) {
	t.Helper()
	m.cancel()
	select {
	case <-m.done:
	case <-time.After(30 * time.Second):
		t.Fatal("group consumer did not stop")
	}
	if m.err != nil {
		t.Errorf("group consumer: %v", m.err)
	}
}

// waitFor polls cond until it holds, failing the test after 30 s with the
// last description cond gave.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %s", what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// describeOne describes a single group.
func describeOne(t *testing.T, a *console.GroupAdmin, group string) console.GroupDescription {
	t.Helper()
	descs, err := a.Describe([]string{group})
	if err != nil || len(descs) != 1 {
		t.Fatalf("describe %s: %v (%d descriptions)", group, err, len(descs))
	}
	return descs[0]
}

// committed returns the committed offset of every partition of d, -1 for
// none, indexed by partition.
func committed(d console.GroupDescription, topic string, partitions int) []int64 {
	out := make([]int64, partitions)
	for i := range out {
		out[i] = -1
	}
	for _, p := range d.Partitions {
		if p.Topic == topic && int(p.Partition) < partitions {
			out[p.Partition] = p.Committed
		}
	}
	return out
}

// tableRows parses a table printed by the Write functions into maps from
// column header to value, one per row under the first header line that
// starts with GROUP.
func tableRows(out string) []map[string]string {
	var header []string
	var rows []map[string]string
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "GROUP":
			header = fields
		case header != nil && len(fields) >= len(header):
			row := map[string]string{}
			for i, h := range header {
				row[h] = fields[i]
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func TestGroupConsumeCommitsPrintedRecords(t *testing.T) {
	addr := startGroupBroker(t)
	createTopic(t, newAdmin(t, addr), "events", 1)
	var values []string
	for i := 1; i <= 10; i++ {
		values = append(values, fmt.Sprintf("r%d", i))
	}
	produceLines(t, addr, "events", 0, values...)

	if got := consumeInGroup(t, addr, "events", "g", 4, true); !slices.Equal(got, values[:4]) {
		t.Fatalf("first run printed %q, want %q", got, values[:4])
	}

	ga := newGroupAdmin(t, addr)
	d := describeOne(t, ga, "g")
	if d.State != console.GroupStateEmpty || len(d.Members) != 0 || d.ProtocolType != "consumer" {
		t.Errorf("after the run: state %q, %d members, protocol type %q; want Empty, 0, consumer",
			d.State, len(d.Members), d.ProtocolType)
	}
	var out bytes.Buffer
	if err := console.WriteGroupOffsets(&out, []console.GroupDescription{d}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Consumer group 'g' has no active members.") {
		t.Errorf("describe output lacks the no-members notice:\n%s", out.String())
	}
	rows := tableRows(out.String())
	want := map[string]string{"GROUP": "g", "TOPIC": "events", "PARTITION": "0", "CURRENT-OFFSET": "4",
		"LOG-END-OFFSET": "10", "LAG": "6", "CONSUMER-ID": "-", "HOST": "-", "CLIENT-ID": "-"}
	if len(rows) != 1 || !mapsEqual(rows[0], want) {
		t.Errorf("describe rows %v, want [%v]:\n%s", rows, want, out.String())
	}

	// The group resumes at its committed offset; --from-beginning does not
	// apply to partitions with a commit.
	if got := consumeInGroup(t, addr, "events", "g", 6, true); !slices.Equal(got, values[4:]) {
		t.Fatalf("second run printed %q, want %q", got, values[4:])
	}
	d = describeOne(t, ga, "g")
	if len(d.Partitions) != 1 || d.Partitions[0].Committed != 10 {
		t.Errorf("after the second run: %+v, want offset 10 committed", d.Partitions)
	}
	if lag, ok := d.Partitions[0].Lag(); !ok || lag != 0 {
		t.Errorf("lag %d %v, want 0", lag, ok)
	}

	// A new group without --from-beginning starts at the end: it prints
	// only records produced after it joined. Records are produced until it
	// prints one, since when its claim starts is not observable.
	done := make(chan []string, 1)
	go func() {
		c, err := console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: "events", Partition: -1,
			StartOffset: sarama.OffsetNewest, Group: "late", MaxMessages: 1, IdleTimeout: 30 * time.Second})
		if err != nil {
			done <- []string{err.Error()}
			return
		}
		var out bytes.Buffer
		_, err = c.Run(context.Background(), &out, &bytes.Buffer{})
		if err != nil {
			done <- []string{err.Error()}
			return
		}
		done <- strings.Fields(out.String())
	}()
	var late []string
	for i := 0; late == nil; i++ {
		produceLines(t, addr, "events", 0, fmt.Sprintf("n%d", i))
		select {
		case late = <-done:
		case <-time.After(200 * time.Millisecond):
		}
		if i > 150 {
			t.Fatal("group late printed nothing")
		}
	}
	if len(late) != 1 || !strings.HasPrefix(late[0], "n") {
		t.Fatalf("group late printed %q, want one record produced after it joined", late)
	}
	var idx int64
	fmt.Sscanf(late[0], "n%d", &idx)
	if got := committed(describeOne(t, ga, "late"), "events", 1)[0]; got != 10+idx+1 {
		t.Errorf("group late committed %d, want %d (just past %s)", got, 10+idx+1, late[0])
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestGroupResetOffsets(t *testing.T) {
	addr := startGroupBroker(t)
	createTopic(t, newAdmin(t, addr), "resets", 2)
	produceLines(t, addr, "resets", 0, "a0", "a1", "a2", "a3", "a4")
	produceLines(t, addr, "resets", 1, "b0", "b1", "b2", "b3", "b4")
	consumeInGroup(t, addr, "resets", "rg", 10, true)
	ga := newGroupAdmin(t, addr)
	if got := committed(describeOne(t, ga, "rg"), "resets", 2); !slices.Equal(got, []int64{5, 5}) {
		t.Fatalf("committed %v after consuming everything, want [5 5]", got)
	}

	reset := func(opts console.ResetOptions) []console.OffsetReset {
		t.Helper()
		opts.Group = "rg"
		plan, err := ga.ResetOffsets(opts)
		if err != nil {
			t.Fatalf("reset %+v: %v", opts, err)
		}
		return plan
	}
	all := []console.TopicPartitions{{Topic: "resets"}}

	// A dry run prints the plan and changes nothing.
	plan := reset(console.ResetOptions{Topics: all, Method: console.ResetToEarliest})
	wantPlan := []console.OffsetReset{{Topic: "resets", Partition: 0, Offset: 0}, {Topic: "resets", Partition: 1, Offset: 0}}
	if !slices.Equal(plan, wantPlan) {
		t.Errorf("dry-run plan %v, want %v", plan, wantPlan)
	}
	var out bytes.Buffer
	if err := console.WriteOffsetResets(&out, "rg", plan); err != nil {
		t.Fatal(err)
	}
	if rows := tableRows(out.String()); len(rows) != 2 || rows[1]["NEW-OFFSET"] != "0" || rows[1]["PARTITION"] != "1" {
		t.Errorf("plan output:\n%s", out.String())
	}
	if got := committed(describeOne(t, ga, "rg"), "resets", 2); !slices.Equal(got, []int64{5, 5}) {
		t.Errorf("dry run changed the offsets: %v", got)
	}

	// --to-earliest --execute on partition 0 only: consuming again prints
	// partition 0 from its start.
	reset(console.ResetOptions{Topics: []console.TopicPartitions{{Topic: "resets", Partitions: []int32{0}}},
		Method: console.ResetToEarliest, Execute: true})
	if got := committed(describeOne(t, ga, "rg"), "resets", 2); !slices.Equal(got, []int64{0, 5}) {
		t.Errorf("after --to-earliest on partition 0: %v, want [0 5]", got)
	}
	if got := consumeInGroup(t, addr, "resets", "rg", 5, false); !slices.Equal(got, []string{"a0", "a1", "a2", "a3", "a4"}) {
		t.Errorf("after --to-earliest printed %q", got)
	}

	steps := []struct {
		name string
		opts console.ResetOptions
		want []int64
	}{
		{"to-offset 3", console.ResetOptions{AllTopics: true, Method: console.ResetToOffset, Offset: 3}, []int64{3, 3}},
		{"shift-by -2", console.ResetOptions{Topics: all, Method: console.ResetShiftBy, Offset: -2}, []int64{1, 1}},
		{"shift-by -5 clamps", console.ResetOptions{Topics: all, Method: console.ResetShiftBy, Offset: -5}, []int64{0, 0}},
		{"to-offset 100 clamps", console.ResetOptions{Topics: all, Method: console.ResetToOffset, Offset: 100}, []int64{5, 5}},
		{"to-earliest", console.ResetOptions{Topics: all, Method: console.ResetToEarliest}, []int64{0, 0}},
		{"to-latest", console.ResetOptions{Topics: all, Method: console.ResetToLatest}, []int64{5, 5}},
	}
	for _, s := range steps {
		s.opts.Execute = true
		plan := reset(s.opts)
		got := committed(describeOne(t, ga, "rg"), "resets", 2)
		if !slices.Equal(got, s.want) {
			t.Errorf("%s: committed %v, want %v (plan %v)", s.name, got, s.want, plan)
		}
	}
	reset(console.ResetOptions{Topics: all, Method: console.ResetShiftBy, Offset: -2, Execute: true})
	got := consumeInGroup(t, addr, "resets", "rg", 4, false)
	slices.Sort(got)
	if want := []string{"a3", "a4", "b3", "b4"}; !slices.Equal(got, want) {
		t.Errorf("after --shift-by -2 printed %q, want %q", got, want)
	}

	// Errors: shifting a partition without a commit, unknown partitions
	// and topics.
	if _, err := ga.ResetOffsets(console.ResetOptions{Group: "fresh", Topics: all, Method: console.ResetShiftBy, Offset: 1}); !errors.Is(err, console.ErrInvalidArgument) {
		t.Errorf("shift-by without a commit: %v", err)
	}
	if _, err := ga.ResetOffsets(console.ResetOptions{Group: "rg", Topics: []console.TopicPartitions{{Topic: "resets", Partitions: []int32{7}}},
		Method: console.ResetToEarliest}); !errors.Is(err, console.ErrUnknownPartition) {
		t.Errorf("unknown partition: %v", err)
	}
	if _, err := ga.ResetOffsets(console.ResetOptions{Group: "rg", Topics: []console.TopicPartitions{{Topic: "nope"}},
		Method: console.ResetToEarliest}); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("unknown topic: %v", err)
	}

	// A group that does not exist yet gets its offsets from a reset.
	reset(console.ResetOptions{Topics: all, Method: console.ResetToOffset, Offset: 2, Execute: true})
	if _, err := ga.ResetOffsets(console.ResetOptions{Group: "brand-new", Topics: all, Method: console.ResetToOffset, Offset: 4, Execute: true}); err != nil {
		t.Fatalf("reset a new group: %v", err)
	}
	if got := committed(describeOne(t, ga, "brand-new"), "resets", 2); !slices.Equal(got, []int64{4, 4}) {
		t.Errorf("new group: committed %v, want [4 4]", got)
	}
}

func TestGroupResetOffsetsToDatetime(t *testing.T) {
	addr := startGroupBroker(t)
	createTopic(t, newAdmin(t, addr), "timed", 1)

	// Records one second apart in time, produced with explicit timestamps.
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.Local)
	conf := console.NewSaramaConfig()
	conf.Producer.Return.Successes = true
	conf.Producer.RequiredAcks = sarama.WaitForAll
	p, err := sarama.NewSyncProducer([]string{addr}, conf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "timed", Partition: 0,
			Value: sarama.StringEncoder(fmt.Sprintf("t%d", i)), Timestamp: base.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	p.Close()

	ga := newGroupAdmin(t, addr)
	cases := []struct {
		at   string
		want int64
	}{
		{base.Add(2500 * time.Millisecond).Format("2006-01-02T15:04:05.000"), 3}, // Kafka's format, local time
		{base.Add(2 * time.Second).Format("2006-01-02T15:04:05.000"), 2},         // exactly a record's time
		{base.Add(-time.Hour).UTC().Format(time.RFC3339), 0},                     // before everything
		{base.Add(time.Hour).Format(time.RFC3339Nano), 6},                        // after everything: log end
		{base.Add(4 * time.Second).UTC().Format("2006-01-02T15:04:05.000Z"), 4},  // UTC with millis
	}
	for _, c := range cases {
		at, err := console.ParseResetDatetime(c.at)
		if err != nil {
			t.Fatalf("parse %q: %v", c.at, err)
		}
		plan, err := ga.ResetOffsets(console.ResetOptions{Group: "tg", Topics: []console.TopicPartitions{{Topic: "timed"}},
			Method: console.ResetToDatetime, Time: at, Execute: true})
		if err != nil {
			t.Fatalf("reset to %s: %v", c.at, err)
		}
		if len(plan) != 1 || plan[0].Offset != c.want {
			t.Errorf("to-datetime %s: plan %v, want offset %d", c.at, plan, c.want)
		}
		if got := committed(describeOne(t, ga, "tg"), "timed", 1); got[0] != c.want {
			t.Errorf("to-datetime %s: committed %d, want %d", c.at, got[0], c.want)
		}
	}
	if got := consumeInGroup(t, addr, "timed", "tg", 2, false); !slices.Equal(got, []string{"t4", "t5"}) {
		t.Errorf("after reset to offset 4 printed %q", got)
	}
}

func TestGroupListDeleteAndActiveGroups(t *testing.T) {
	addr := startGroupBroker(t)
	createTopic(t, newAdmin(t, addr), "listed", 1)
	produceLines(t, addr, "listed", 0, "x", "y")
	consumeInGroup(t, addr, "listed", "idle", 1, true)
	ga := newGroupAdmin(t, addr)

	m := startMember(t, addr, "listed", "busy")
	waitFor(t, "group busy to be Stable", func() (bool, string) {
		groups, err := ga.List()
		if err != nil {
			return false, err.Error()
		}
		want := []console.GroupListing{{Group: "busy", State: "Stable", ProtocolType: "consumer"},
			{Group: "idle", State: "Empty", ProtocolType: "consumer"}}
		return slices.Equal(groups, want), fmt.Sprint(groups)
	})
	var out bytes.Buffer
	groups, _ := ga.List()
	if err := console.WriteGroupList(&out, groups); err != nil {
		t.Fatal(err)
	}
	if rows := tableRows(out.String()); len(rows) != 2 || rows[0]["STATE"] != "Stable" || rows[1]["PROTOCOL-TYPE"] != "consumer" {
		t.Errorf("list output:\n%s", out.String())
	}

	// An active group can be neither deleted nor reset.
	deleted, err := ga.Delete([]string{"busy"})
	var be *console.BrokerError
	if len(deleted) != 0 || !errors.As(err, &be) || be.Name != "NON_EMPTY_GROUP" || !errors.Is(err, sarama.ErrNonEmptyGroup) {
		t.Errorf("delete an active group: deleted %v, err %v; want NON_EMPTY_GROUP", deleted, err)
	}
	_, err = ga.ResetOffsets(console.ResetOptions{Group: "busy", AllTopics: true, Method: console.ResetToEarliest})
	want := "Assignments can only be reset if the group 'busy' is inactive, but the current state is Stable."
	if !errors.Is(err, console.ErrGroupActive) || err.Error() != want {
		t.Errorf("reset an active group: %v", err)
	}

	// Once its member left, it goes like the other.
	m.stop(t)
	deleted, err = ga.Delete([]string{"busy", "idle", "never-existed"})
	if !slices.Equal(deleted, []string{"busy", "idle"}) || !errors.Is(err, sarama.ErrGroupIDNotFound) {
		t.Errorf("delete: deleted %v, err %v; want busy and idle deleted, GROUP_ID_NOT_FOUND for the third", deleted, err)
	}
	if groups, err := ga.List(); err != nil || len(groups) != 0 {
		t.Errorf("list after delete: %v %v", groups, err)
	}
	descs, err := ga.Describe([]string{"idle"})
	if len(descs) != 0 || !errors.Is(err, console.ErrGroupNotFound) || !strings.Contains(err.Error(), "'idle' does not exist") {
		t.Errorf("describe a deleted group: %v %v", descs, err)
	}
	// Its offsets went with it: a new member starts from the beginning.
	if got := consumeInGroup(t, addr, "listed", "idle", 2, true); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("after delete, the group printed %q", got)
	}
}

func TestGroupDescribeTwoMembers(t *testing.T) {
	addr := startGroupBroker(t)
	createTopic(t, newAdmin(t, addr), "shared", 4)
	for p := range int32(4) {
		produceLines(t, addr, "shared", p, fmt.Sprintf("p%d-0", p), fmt.Sprintf("p%d-1", p))
	}
	ga := newGroupAdmin(t, addr)
	m1 := startMember(t, addr, "shared", "pair")
	m2 := startMember(t, addr, "shared", "pair")

	var d console.GroupDescription
	waitFor(t, "two members with two partitions each", func() (bool, string) {
		descs, err := ga.Describe([]string{"pair"})
		if err != nil {
			return false, err.Error()
		}
		d = descs[0]
		if d.State != console.GroupStateStable || len(d.Members) != 2 {
			return false, fmt.Sprintf("state %s, %d members", d.State, len(d.Members))
		}
		for _, m := range d.Members {
			if m.PartitionCount() != 2 {
				return false, fmt.Sprintf("member %s has %d partitions", m.MemberID, m.PartitionCount())
			}
		}
		return true, ""
	})
	// Wait for the records to be printed and committed, so the offsets are
	// stable while the output is checked.
	waitFor(t, "every partition committed at 2", func() (bool, string) {
		d = describeOne(t, ga, "pair")
		got := committed(d, "shared", 4)
		return slices.Equal(got, []int64{2, 2, 2, 2}), fmt.Sprint(got)
	})

	var out bytes.Buffer
	if err := console.WriteGroupOffsets(&out, []console.GroupDescription{d}); err != nil {
		t.Fatal(err)
	}
	owners := map[string]int{}
	for _, row := range tableRows(out.String()) {
		owners[row["CONSUMER-ID"]]++
		if row["LAG"] != "0" || row["CLIENT-ID"] != console.ClientID {
			t.Errorf("row %v: want lag 0 and client id %s", row, console.ClientID)
		}
	}
	if len(owners) != 2 || owners[d.Members[0].MemberID] != 2 || owners[d.Members[1].MemberID] != 2 {
		t.Errorf("owners %v, want both members with two partitions:\n%s", owners, out.String())
	}

	out.Reset()
	if err := console.WriteGroupMembers(&out, []console.GroupDescription{d}, true); err != nil {
		t.Fatal(err)
	}
	rows := tableRows(out.String())
	if len(rows) != 2 || rows[0]["#PARTITIONS"] != "2" || !strings.HasPrefix(rows[0]["ASSIGNMENT"], "shared(") {
		t.Errorf("members output:\n%s", out.String())
	}
	out.Reset()
	if err := console.WriteGroupStates(&out, []console.GroupDescription{d}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "range") || !strings.Contains(out.String(), "Stable") || !strings.HasSuffix(out.String(), " 2\n") {
		t.Errorf("state output:\n%s", out.String())
	}

	// Together they printed every record exactly once.
	m1.stop(t)
	m2.stop(t)
	printed := append(strings.Fields(m1.out.String()), strings.Fields(m2.out.String())...)
	slices.Sort(printed)
	if len(printed) != 8 || len(slices.Compact(slices.Clone(printed))) != 8 {
		t.Errorf("members printed %q, want the 8 records once each", printed)
	}
	if d := describeOne(t, ga, "pair"); d.State != console.GroupStateEmpty {
		t.Errorf("state after both left: %s", d.State)
	}
}

// TestGroupConsumerRejectsPartitionAndOffset checks the options that make no
// sense for a group member.
func TestGroupConsumerRejectsPartitionAndOffset(t *testing.T) {
	for _, opts := range []console.ConsumerOptions{
		{Partition: 0, StartOffset: sarama.OffsetOldest},
		{Partition: -1, StartOffset: 5},
		{Partition: -1, StartOffset: sarama.OffsetOldest, Assignor: "fancy"},
	} {
		opts.Brokers, opts.Topic, opts.Group = []string{"127.0.0.1:1"}, "t", "g"
		if _, err := console.NewConsumer(opts); !errors.Is(err, console.ErrInvalidArgument) {
			t.Errorf("%+v: %v", opts, err)
		}
	}
}

// TestGroupConsumerStopsWhenRefused checks that a member the coordinator
// refuses for good (here: a session timeout below the broker's minimum)
// ends with the broker's error instead of retrying forever.
func TestGroupConsumerStopsWhenRefused(t *testing.T) {
	addr := brokertest.StartWith(t, broker.Config{GroupInitialRebalanceDelay: -1, GroupMinSessionTimeout: time.Minute})
	createTopic(t, newAdmin(t, addr), "strict", 1)
	c, err := console.NewConsumer(console.ConsumerOptions{Brokers: []string{addr}, Topic: "strict", Partition: -1,
		StartOffset: sarama.OffsetOldest, Group: "refused", IdleTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Run(context.Background(), &bytes.Buffer{}, &bytes.Buffer{})
	var be *console.BrokerError
	if !errors.As(err, &be) || be.Name != "INVALID_SESSION_TIMEOUT" {
		t.Errorf("Run: %v, want INVALID_SESSION_TIMEOUT", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Run took %v to give up", d)
	}
}
