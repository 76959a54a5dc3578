package kafkalog_test

import (
	"testing"

	"github.com/IBM/sarama"

	"conflux/internal/kafkalog"
)

// TestReadToEndPastGaps drives a scripted broker whose partition ends in a
// gap: records at offsets 0 and 1, a transaction marker at 2, and nothing
// left below the high watermark 5 (compacted away, or batches emptied by the
// cleaner). ReadToEnd must still return, having applied the two records.
func TestReadToEndPastGaps(t *testing.T) {
	const topic = "gappy"
	mb := sarama.NewMockBroker(t, 1)
	defer mb.Close()

	first := &sarama.FetchResponse{Version: 12}
	first.AddRecordBatch(topic, 0, sarama.StringEncoder("a"), sarama.StringEncoder("1"), 0, 7, false)
	first.AddRecordBatch(topic, 0, sarama.StringEncoder("b"), nil, 1, 7, false)
	first.AddControlRecord(topic, 0, 2, 7, sarama.ControlRecordCommit)
	first.GetBlock(topic, 0).HighWaterMarkOffset = 5
	rest := &sarama.FetchResponse{Version: 12}
	rest.AddError(topic, 0, sarama.ErrNoError)
	rest.GetBlock(topic, 0).HighWaterMarkOffset = 5

	mb.SetHandlerByMap(map[string]sarama.MockResponse{
		"ApiVersionsRequest": sarama.NewMockApiVersionsResponse(t).SetApiKeys([]sarama.ApiVersionsResponseKey{
			{ApiKey: 0, MinVersion: 3, MaxVersion: 9}, {ApiKey: 1, MinVersion: 4, MaxVersion: 12},
			{ApiKey: 2, MinVersion: 0, MaxVersion: 6}, {ApiKey: 3, MinVersion: 0, MaxVersion: 11},
			{ApiKey: 18, MinVersion: 0, MaxVersion: 3}, {ApiKey: 19, MinVersion: 0, MaxVersion: 7},
			{ApiKey: 22, MinVersion: 0, MaxVersion: 4}, {ApiKey: 32, MinVersion: 0, MaxVersion: 4},
		}),
		"MetadataRequest": sarama.NewMockMetadataResponse(t).
			SetBroker(mb.Addr(), 1).SetController(1).SetLeader(topic, 0, 1),
		"DescribeConfigsRequest": sarama.NewMockDescribeConfigsResponse(t),
		"InitProducerIDRequest":  sarama.NewMockInitProducerIDResponse(t).SetProducerID(7),
		"OffsetRequest": sarama.NewMockOffsetResponse(t).
			SetOffset(topic, 0, sarama.OffsetOldest, 0).
			SetOffset(topic, 0, sarama.OffsetNewest, 5),
		"FetchRequest": sarama.NewMockSequence(first, rest),
	})

	c := &collector{}
	l, err := kafkalog.Open(testCtx(t), kafkalog.Config{Brokers: []string{mb.Addr()}, Topic: topic}, c.apply)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer l.Close()
	recs := c.records()
	if len(recs) != 2 || string(recs[0].Key) != "a" || string(recs[0].Value) != "1" ||
		string(recs[1].Key) != "b" || recs[1].Value != nil || recs[1].Offset != 1 {
		t.Fatalf("applied %+v, want a=1 at 0 and a tombstone for b at 1 (and no control record)", recs)
	}
}
