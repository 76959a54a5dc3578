package broker

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
	"conflux/broker/log"
)

func TestOffsetsPartition(t *testing.T) {
	tests := []struct {
		group string
		want  int
	}{
		{"hello", 22},                // "hello".hashCode() = 99162322
		{"my-group", 12},             // hashCode -1906497762: abs
		{"polygenelubricants", 0},    // hashCode Integer.MIN_VALUE: Kafka's abs gives 0
		{"", 0},                      // hashCode 0
		{"\U0001F600", 1772899 % 50}, // two UTF-16 units: 0xD83D*31 + 0xDE00
	}
	for _, tt := range tests {
		if got := offsetsPartition(tt.group, 50); got != tt.want {
			t.Errorf("offsetsPartition(%q) = %d, want %d", tt.group, got, tt.want)
		}
	}
}

func TestOffsetsRecordLayout(t *testing.T) {
	// Kafka's OffsetCommitKey v1: version, group, topic, partition.
	key := offsetCommitRecord("g", group.TopicPartition{Topic: "t", Partition: 3}, nil)
	want := []byte{0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3}
	if !bytes.Equal(key.key, want) || key.value != nil {
		t.Fatalf("offset key %v (value %v), want %v and a tombstone", key.key, key.value, want)
	}
	// GroupMetadataKey v2: version, group.
	gk := groupMetadataRecord("g", nil)
	if !bytes.Equal(gk.key, []byte{0, 2, 0, 1, 'g'}) {
		t.Fatalf("group key %v", gk.key)
	}
	// OffsetCommitValue v3: version, offset, leader epoch, metadata, commit timestamp.
	v := offsetCommitRecord("g", group.TopicPartition{Topic: "t"}, &group.Offset{Offset: 7, LeaderEpoch: 2, Metadata: "m", CommitTime: time.UnixMilli(5)})
	want = []byte{0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 2, 0, 1, 'm', 0, 0, 0, 0, 0, 0, 0, 5}
	if !bytes.Equal(v.value, want) {
		t.Fatalf("offset value %v, want %v", v.value, want)
	}
}

func TestOffsetsBatchIsValid(t *testing.T) {
	recs := []offsetsRecord{
		offsetCommitRecord("g", group.TopicPartition{Topic: "t", Partition: 1}, &group.Offset{Offset: 1}),
		offsetCommitRecord("g", group.TopicPartition{Topic: "t", Partition: 1}, nil),
	}
	raw := encodeOffsetsBatch(recs, time.UnixMilli(1000))
	var b kmsg.RecordBatch
	if err := b.ReadFrom(raw); err != nil {
		t.Fatal(err)
	}
	if b.Magic != 2 || b.NumRecords != 2 || b.LastOffsetDelta != 1 || b.ProducerID != -1 || b.FirstTimestamp != 1000 ||
		int(b.Length)+12 != len(raw) || uint32(b.CRC) != crc32.Checksum(raw[21:], castagnoli) {
		t.Fatalf("batch header %+v", b)
	}
}

// openTestLog opens an empty partition log in a temporary directory.
func openTestLog(t *testing.T) *log.Log {
	t.Helper()
	l, err := log.Open(t.TempDir(), log.DefaultConfig(), log.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestOffsetsReplay(t *testing.T) {
	l := openTestLog(t)
	now := time.UnixMilli(1_700_000_000_000)
	tp := func(p int32) group.TopicPartition { return group.TopicPartition{Topic: "t", Partition: p} }
	md := &group.Metadata{ProtocolType: "consumer", Generation: 4, Protocol: "range", Leader: "m1", StateTimestamp: now,
		Members: []group.MemberMetadata{{MemberID: "m1", InstanceID: "i1", ClientID: "c", ClientHost: "/h",
			RebalanceTimeout: time.Minute, SessionTimeout: 10 * time.Second, Subscription: []byte("s"), Assignment: []byte("a")}}}
	appendBatch := func(recs ...offsetsRecord) {
		t.Helper()
		if _, err := l.Append(encodeOffsetsBatch(recs, now)); err != nil {
			t.Fatal(err)
		}
	}
	appendBatch(
		offsetCommitRecord("g", tp(0), &group.Offset{Offset: 1, LeaderEpoch: -1, CommitTime: now}),
		offsetCommitRecord("g", tp(1), &group.Offset{Offset: 2, LeaderEpoch: 3, Metadata: "x", CommitTime: now}),
		groupMetadataRecord("g", md),
	)
	// A compressed batch and an unknown record type are skipped.
	bad := encodeOffsetsBatch([]offsetsRecord{{key: []byte{0, 9, 1}, value: []byte{1}}}, now)
	binary.BigEndian.PutUint16(bad[21:], 1) // gzip
	binary.BigEndian.PutUint32(bad[17:], crc32.Checksum(bad[21:], castagnoli))
	if _, err := l.Append(bad); err != nil {
		t.Fatal(err)
	}
	appendBatch(offsetsRecord{key: []byte{0, 9, 1}, value: []byte{1}})
	appendBatch(
		offsetCommitRecord("g", tp(0), &group.Offset{Offset: 10, LeaderEpoch: -1, CommitTime: now}),
		offsetCommitRecord("g", tp(1), nil),
		offsetCommitRecord("gone", tp(0), &group.Offset{Offset: 5, CommitTime: now}),
		groupMetadataRecord("gone", md),
	)
	appendBatch(offsetCommitRecord("gone", tp(0), nil), groupMetadataRecord("gone", nil))

	state := map[string]*loadedGroup{}
	skipped, err := readOffsetsPartition(l, func(k, v []byte) error { return applyOffsetsRecord(state, k, v) })
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 2 {
		t.Fatalf("skipped %d, want the compressed batch and the unknown record", skipped)
	}
	g := state["g"]
	if g == nil || len(g.offsets) != 1 || g.offsets[tp(0)].Offset != 10 || !g.offsets[tp(0)].CommitTime.Equal(now) {
		t.Fatalf("group g: %+v", g)
	}
	if g.meta == nil || g.meta.Generation != 4 || g.meta.Leader != "m1" || !g.meta.StateTimestamp.Equal(now) ||
		len(g.meta.Members) != 1 || g.meta.Members[0].InstanceID != "i1" || g.meta.Members[0].SessionTimeout != 10*time.Second ||
		string(g.meta.Members[0].Assignment) != "a" {
		t.Fatalf("group g metadata: %+v", g.meta)
	}
	if gone := state["gone"]; gone == nil || gone.meta != nil || len(gone.offsets) != 0 {
		t.Fatalf("deleted group: %+v", gone)
	}
}

func TestCoordinatorLoad(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	topics, err := openTopicRegistry(dir, nil, cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	co := newCoordinator(topics, cfg)
	now := time.Now()
	co.mu.Lock()
	for _, id := range []string{"a", "b", "polygenelubricants"} {
		e := co.entry(id, true)
		_, acts := e.g.CommitOffsets(now, group.CommitRequest{Generation: -1, Offsets: []group.OffsetCommit{
			{TopicPartition: group.TopicPartition{Topic: "t", Partition: 0}, Offset: group.Offset{Offset: int64(len(id))}},
		}})
		co.apply(e, acts)
	}
	co.mu.Unlock()
	if err := topics.close(); err != nil {
		t.Fatal(err)
	}

	topics, err = openTopicRegistry(dir, nil, cfg.Logger)
	if err != nil {
		t.Fatal(err)
	}
	defer topics.close()
	co = newCoordinator(topics, cfg)
	if err := co.load(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id, e := range co.groups {
		ids = append(ids, id)
		o, ok := e.g.Offset(group.TopicPartition{Topic: "t"})
		if !ok || o.Offset != int64(len(id)) || e.g.State() != group.Empty {
			t.Fatalf("group %s: %+v %v", id, o, e.g.State())
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"a", "b", "polygenelubricants"}) {
		t.Fatalf("groups %v", ids)
	}
	// Each group's records are in its own partition.
	l := topics.partition(offsetsTopicName, 0)
	if l.EndOffset() != 1 {
		t.Fatalf("partition 0 holds %d records, want polygenelubricants' one", l.EndOffset())
	}
}
