package broker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker/group"
	"conflux/broker/log"
)

// __consumer_offsets holds group metadata and committed offsets in Kafka's
// own record formats, so its content means the same to Kafka tooling.
const (
	offsetsTopicName       = "__consumer_offsets"
	offsetsTopicPartitions = 50 // offsets.topic.num.partitions

	// Record key versions: 0 and 1 are offset commits, 2 group metadata.
	offsetCommitKeyVersion   = 1
	groupMetadataKeyVersion  = 2
	offsetCommitValueVersion = 3 // with leader epoch, not flexible
	groupMetadataValueVer    = 3 // with static member instance ids, not flexible

	// loadReadBytes is how much of a partition one read returns on load.
	loadReadBytes = 1 << 20
)

// castagnoli is the CRC-32C table of record batch checksums.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// offsetsTopicConfigs are the configs __consumer_offsets is created with,
// as Kafka creates it (offsets.topic.segment.bytes = 100 MiB).
func offsetsTopicConfigs() map[string]string {
	return map[string]string{"cleanup.policy": "compact", "segment.bytes": "104857600"}
}

// offsetsPartition is the __consumer_offsets partition of a group:
// Utils.abs(groupId.hashCode()) % partitions, with Java's String.hashCode
// (over UTF-16 code units, int32 overflow) and Kafka's abs (MinInt32 → 0).
func offsetsPartition(groupID string, partitions int) int {
	var h int32
	for _, u := range utf16.Encode([]rune(groupID)) {
		h = 31*h + int32(u)
	}
	switch {
	case h == math.MinInt32:
		h = 0
	case h < 0:
		h = -h
	}
	return int(h) % partitions
}

// offsetsRecord is one record for __consumer_offsets; a nil value is a
// tombstone.
type offsetsRecord struct {
	key, value []byte
}

// groupMetadataRecord encodes a group's metadata (nil: its tombstone).
func groupMetadataRecord(groupID string, md *group.Metadata) offsetsRecord {
	key := kmsg.GroupMetadataKey{Version: groupMetadataKeyVersion, Group: groupID}
	rec := offsetsRecord{key: key.AppendTo(nil)}
	if md == nil {
		return rec
	}
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupMetadataValueVer
	v.ProtocolType = md.ProtocolType
	v.Generation = md.Generation
	if md.Protocol != "" {
		v.Protocol = ptr(md.Protocol)
	}
	if md.Leader != "" {
		v.Leader = ptr(md.Leader)
	}
	v.CurrentStateTimestamp = md.StateTimestamp.UnixMilli()
	for _, m := range md.Members {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID = m.MemberID
		if m.InstanceID != "" {
			vm.InstanceID = ptr(m.InstanceID)
		}
		vm.ClientID, vm.ClientHost = m.ClientID, m.ClientHost
		vm.RebalanceTimeoutMillis = int32(m.RebalanceTimeout.Milliseconds())
		vm.SessionTimeoutMillis = int32(m.SessionTimeout.Milliseconds())
		vm.Subscription, vm.Assignment = m.Subscription, m.Assignment
		v.Members = append(v.Members, vm)
	}
	rec.value = v.AppendTo(nil)
	return rec
}

// offsetCommitRecord encodes a committed offset (nil: its tombstone).
func offsetCommitRecord(groupID string, tp group.TopicPartition, o *group.Offset) offsetsRecord {
	key := kmsg.OffsetCommitKey{Version: offsetCommitKeyVersion, Group: groupID, Topic: tp.Topic, Partition: tp.Partition}
	rec := offsetsRecord{key: key.AppendTo(nil)}
	if o == nil {
		return rec
	}
	v := kmsg.NewOffsetCommitValue()
	v.Version = offsetCommitValueVersion
	v.Offset = o.Offset
	v.LeaderEpoch = o.LeaderEpoch
	v.Metadata = o.Metadata
	v.CommitTimestamp = o.CommitTime.UnixMilli()
	rec.value = v.AppendTo(nil)
	return rec
}

// encodeOffsetsBatch builds one uncompressed v2 record batch of recs, as a
// producer without idempotence would: the log assigns its offsets.
func encodeOffsetsBatch(recs []offsetsRecord, now time.Time) []byte {
	var body []byte
	for i, r := range recs {
		rec := kmsg.Record{OffsetDelta: int32(i), Key: r.key, Value: r.value}
		// Length counts what follows it; a zero Length encodes in one byte.
		rec.Length = int32(len(rec.AppendTo(nil)) - 1)
		body = rec.AppendTo(body)
	}
	ts := now.UnixMilli()
	b := kmsg.RecordBatch{
		Length:               int32(49 + len(body)), // header after the length field, then records
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      int32(len(recs) - 1),
		FirstTimestamp:       ts,
		MaxTimestamp:         ts,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           int32(len(recs)),
		Records:              body,
	}
	raw := b.AppendTo(make([]byte, 0, 61+len(body)))
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], castagnoli))
	return raw
}

// loadedGroup is what __consumer_offsets holds for one group.
type loadedGroup struct {
	meta    *group.Metadata
	offsets map[group.TopicPartition]group.Offset
}

// load restores every group from __consumer_offsets: committed offsets and
// the last generation, with no members (clients rejoin). Batches it cannot
// parse (compressed, transactional markers, corrupt) are skipped.
func (co *coordinator) load() error {
	t := co.topics.get(offsetsTopicName)
	if t == nil {
		return nil
	}
	state := map[string]*loadedGroup{}
	skipped := 0
	for p, l := range t.partitions {
		n, err := readOffsetsPartition(l, func(key, value []byte) error { return applyOffsetsRecord(state, key, value) })
		if errors.Is(err, errOffsetsGap) {
			co.logger.Warn("group state partly lost", "partition", p, "error", err)
		} else if err != nil {
			return fmt.Errorf("load %s-%d: %w", offsetsTopicName, p, err)
		}
		skipped += n
	}
	if skipped > 0 {
		co.logger.Warn("skipped unreadable records in "+offsetsTopicName, "records", skipped)
	}
	now := co.now()
	for id, lg := range state {
		if lg.meta == nil && len(lg.offsets) == 0 {
			continue
		}
		offsets := make([]group.OffsetCommit, 0, len(lg.offsets))
		for tp, o := range lg.offsets {
			offsets = append(offsets, group.OffsetCommit{TopicPartition: tp, Offset: o})
		}
		co.groups[id] = &groupEntry{id: id, g: group.Restore(id, co.cfg, now, lg.meta, offsets)}
	}
	if len(co.groups) > 0 {
		co.logger.Info("loaded consumer groups", "groups", len(co.groups))
	}
	return nil
}

// readOffsetsPartition calls apply for every record of l, in offset order,
// and returns how many records or batches it had to skip.
func readOffsetsPartition(l *log.Log, apply func(key, value []byte) error) (skipped int, err error) {
	off, end := l.StartOffset(), l.EndOffset()
	var buf []byte
	for off < end {
		buf, err = l.Read(off, loadReadBytes, buf[:0])
		if err != nil {
			return skipped, err
		}
		if len(buf) == 0 {
			return skipped, fmt.Errorf("%w: no batch at offset %d below the end offset %d", errOffsetsGap, off, end)
		}
		for pos := 0; pos+61 <= len(buf); {
			size := int(int32(binary.BigEndian.Uint32(buf[pos+8:]))) + 12
			if size < 61 || pos+size > len(buf) {
				return skipped, fmt.Errorf("bad batch framing at offset %d", off)
			}
			batch := buf[pos : pos+size]
			pos += size
			next := int64(binary.BigEndian.Uint64(batch)) + int64(int32(binary.BigEndian.Uint32(batch[23:]))) + 1
			if next <= off {
				continue
			}
			var b kmsg.RecordBatch
			if err := b.ReadFrom(batch); err != nil {
				skipped++
			} else {
				n, err := readBatchRecords(&b, off, apply)
				if err != nil {
					return skipped, err
				}
				skipped += n
			}
			off = next
		}
	}
	return skipped, nil
}

// readBatchRecords applies the records of an uncompressed, non-control batch
// from offset from on; other batches count as one skipped record.
func readBatchRecords(b *kmsg.RecordBatch, from int64, apply func(key, value []byte) error) (skipped int, err error) {
	if b.Magic != 2 || b.Attributes&0x07 != 0 || b.Attributes&0x20 != 0 {
		return 1, nil
	}
	rest := b.Records
	for range b.NumRecords {
		length, n := binary.Varint(rest)
		if n <= 0 || length < 0 || int64(len(rest)-n) < length {
			return skipped + 1, nil
		}
		var r kmsg.Record
		if err := r.ReadFrom(rest[:n+int(length)]); err != nil {
			return skipped + 1, nil
		}
		rest = rest[n+int(length):]
		if b.FirstOffset+int64(r.OffsetDelta) < from {
			continue
		}
		if err := apply(r.Key, r.Value); err != nil {
			if errors.Is(err, errUnreadableRecord) {
				skipped++
				continue
			}
			return skipped, err
		}
	}
	return skipped, nil
}

// errOffsetsGap reports a partition of __consumer_offsets whose records
// cannot all be read: the rest of it is ignored.
var errOffsetsGap = errors.New("unreadable tail")

// errUnreadableRecord marks a __consumer_offsets record that is not a group
// metadata or offset commit record this broker understands.
var errUnreadableRecord = errors.New("unreadable __consumer_offsets record")

// applyOffsetsRecord replays one record into state: the latest record per
// key wins, and a tombstone deletes.
func applyOffsetsRecord(state map[string]*loadedGroup, key, value []byte) error {
	if len(key) < 2 {
		return errUnreadableRecord
	}
	lg := func(id string) *loadedGroup {
		g := state[id]
		if g == nil {
			g = &loadedGroup{offsets: map[group.TopicPartition]group.Offset{}}
			state[id] = g
		}
		return g
	}
	switch version := int16(binary.BigEndian.Uint16(key)); version {
	case 0, 1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			return errUnreadableRecord
		}
		tp := group.TopicPartition{Topic: k.Topic, Partition: k.Partition}
		g := lg(k.Group)
		if value == nil {
			delete(g.offsets, tp)
			return nil
		}
		var v kmsg.OffsetCommitValue
		if err := v.ReadFrom(value); err != nil {
			return errUnreadableRecord
		}
		o := group.Offset{Offset: v.Offset, LeaderEpoch: -1, Metadata: v.Metadata, CommitTime: time.UnixMilli(v.CommitTimestamp)}
		if v.Version >= 3 {
			o.LeaderEpoch = v.LeaderEpoch
		}
		if v.Version == 1 && v.ExpireTimestamp >= 0 {
			o.ExpireTime = time.UnixMilli(v.ExpireTimestamp)
		}
		g.offsets[tp] = o
	case 2:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			return errUnreadableRecord
		}
		g := lg(k.Group)
		if value == nil {
			g.meta = nil
			return nil
		}
		var v kmsg.GroupMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return errUnreadableRecord
		}
		md := &group.Metadata{ProtocolType: v.ProtocolType, Generation: v.Generation,
			Protocol: deref(v.Protocol), Leader: deref(v.Leader)}
		if v.Version >= 2 && v.CurrentStateTimestamp >= 0 {
			md.StateTimestamp = time.UnixMilli(v.CurrentStateTimestamp)
		}
		for _, m := range v.Members {
			md.Members = append(md.Members, group.MemberMetadata{
				MemberID: m.MemberID, InstanceID: deref(m.InstanceID), ClientID: m.ClientID, ClientHost: m.ClientHost,
				RebalanceTimeout: time.Duration(m.RebalanceTimeoutMillis) * time.Millisecond,
				SessionTimeout:   time.Duration(m.SessionTimeoutMillis) * time.Millisecond,
				Subscription:     cloneBytes(m.Subscription), Assignment: cloneBytes(m.Assignment),
			})
		}
		g.meta = md
	default:
		return errUnreadableRecord
	}
	return nil
}
