package broker_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"conflux/broker"
	"conflux/internal/brokertest"
)

// closeTimeout is how long the broker may take to drop a connection that
// sent something it cannot serve.
const closeTimeout = 5 * time.Second

// requestFrame builds a request frame: size prefix, header v1 (key, version,
// correlation id, client id) plus the empty tagged-field byte of header v2 if
// flexible, then body.
func requestFrame(key, version int16, correlationID int32, clientID string, flexible bool, body []byte) []byte {
	b := make([]byte, 4, 4+10+len(clientID)+1+len(body))
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(correlationID))
	b = binary.BigEndian.AppendUint16(b, uint16(len(clientID)))
	b = append(b, clientID...)
	if flexible {
		b = append(b, 0)
	}
	b = append(b, body...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// kmsgFrame frames a kmsg request at its version.
func kmsgFrame(req kmsg.Request, correlationID int32) []byte {
	return requestFrame(req.Key(), req.GetVersion(), correlationID, "raw", req.IsFlexible(), req.AppendTo(nil))
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readResponse reads one response frame and returns its correlation id and
// the rest (header tags, if any, and body).
func readResponse(t *testing.T, c net.Conn) (int32, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatalf("read response size: %v", err)
	}
	n := binary.BigEndian.Uint32(size[:])
	if n < 4 || n > 1<<20 {
		t.Fatalf("response size %d", n)
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(c, frame); err != nil {
		t.Fatalf("read response: %v", err)
	}
	return int32(binary.BigEndian.Uint32(frame)), frame[4:]
}

// expectClosed asserts that the broker closes c promptly without answering.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(closeTimeout))
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	switch {
	case n > 0:
		t.Fatalf("broker answered %d bytes (%x) instead of closing the connection", n, buf[:n])
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
	default:
		t.Fatalf("connection not closed within %v: read returned %v after %v", closeTimeout, err, time.Since(start))
	}
}

// healthCheck proves the broker still serves a well-behaved client: a
// produce is acknowledged and the topic is listed.
func healthCheck(t *testing.T, cl *kgo.Client, round int) {
	t.Helper()
	ctx := testCtx(t)
	r := &kgo.Record{Topic: "healthy", Value: fmt.Append(nil, round)}
	if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
		t.Fatalf("well-behaved client cannot produce: %v", err)
	}
	topics, err := kadm.NewClient(cl).ListTopics(ctx, "healthy")
	if err != nil || topics["healthy"].Err != nil {
		t.Fatalf("well-behaved client cannot read metadata: %v, %v", err, topics["healthy"].Err)
	}
}

func startWithHealthyClient(t *testing.T, cfg broker.Config) (string, *kgo.Client) {
	t.Helper()
	addr := brokertest.StartWith(t, cfg)
	cl := newKgoClient(t, addr)
	createTopic(t, cl, "healthy", 1, nil)
	healthCheck(t, cl, 0)
	return addr, cl
}

// TestBadInputOversizedFrame is not parallel: it measures the process's
// allocations while the broker rejects huge size prefixes.
func TestBadInputOversizedFrame(t *testing.T) {
	addr, cl := startWithHealthyClient(t, broker.Config{})
	sizes := []struct {
		name string
		size uint32
	}{
		{"200 MiB", 200 << 20},
		{"just over 100 MiB", 100<<20 + 1},
		{"max int32", 1<<31 - 1},
		{"negative", 0xFFFFFFFF},
		{"zero", 0},
		{"shorter than a header", 7},
	}
	for i, tc := range sizes {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var prefix [4]byte
			binary.BigEndian.PutUint32(prefix[:], tc.size)
			if _, err := c.Write(prefix[:]); err != nil {
				t.Fatalf("write size prefix: %v", err)
			}
			// Some body bytes, as a client streaming a big request would
			// send; the broker may already have closed, so errors are fine.
			c.Write(make([]byte, 64<<10))
			expectClosed(t, c)
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 10<<20 {
				t.Fatalf("the process allocated %d MiB while rejecting a %d-byte frame", grew>>20, tc.size)
			}
			healthCheck(t, cl, i+1)
		})
	}
}

func TestBadInputConfiguredFrameLimit(t *testing.T) {
	t.Parallel()
	addr, cl := startWithHealthyClient(t, broker.Config{SocketRequestMaxBytes: 4096})
	small := kmsg.NewPtrApiVersionsRequest()
	small.Version = 0
	c := dialRaw(t, addr)
	if _, err := c.Write(kmsgFrame(small, 1)); err != nil {
		t.Fatal(err)
	}
	if corr, _ := readResponse(t, c); corr != 1 {
		t.Fatalf("correlation id %d, want 1", corr)
	}
	big := kmsg.NewPtrMetadataRequest()
	big.Version = 1
	for i := range 300 {
		mt := kmsg.NewMetadataRequestTopic()
		name := fmt.Sprintf("topic-with-a-long-name-%04d", i)
		mt.Topic = &name
		big.Topics = append(big.Topics, mt)
	}
	frame := kmsgFrame(big, 2)
	if len(frame) <= 4096+4 {
		t.Fatalf("test frame of %d bytes is not over the limit", len(frame))
	}
	c.Write(frame)
	expectClosed(t, c)
	healthCheck(t, cl, 1)
}

func TestBadInputGarbageFrames(t *testing.T) {
	t.Parallel()
	addr, cl := startWithHealthyClient(t, broker.Config{})
	withSize := func(body []byte) []byte {
		return binary.BigEndian.AppendUint32(nil, uint32(len(body))) // then body
	}
	cases := []struct {
		name  string
		frame []byte
	}{
		{"all 0xff", append(withSize(make([]byte, 32)), []byte(strings.Repeat("\xff", 32))...)},
		{"metadata v1 array count without elements", requestFrame(3, 1, 1, "x", false, []byte{0, 0, 0, 5})},
		{"metadata v1 topic name past the end", requestFrame(3, 1, 1, "x", false, []byte{0, 0, 0, 1, 0x7f, 0xff, 'a'})},
		{"client id longer than the frame", append(withSize([]byte{0, 18, 0, 0, 0, 0, 0, 1, 0x10, 0}), 0, 18, 0, 0, 0, 0, 0, 1, 0x10, 0)},
		{"flexible header with a broken tag", requestFrame(18, 3, 1, "x", false, []byte{0x05, 0xff})},
		{"produce v7 with a truncated body", requestFrame(0, 7, 1, "x", false, []byte{0xff, 0xff, 0, 1, 0, 0})},
		{"fetch v11 body of zeros cut short", requestFrame(1, 11, 1, "x", false, make([]byte, 13))},
		{"create topics v5 with bad compact array", requestFrame(19, 5, 1, "x", true, []byte{0xff, 0xff, 0xff, 0xff, 0x0f})},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			if _, err := c.Write(tc.frame); err != nil {
				t.Fatalf("write: %v", err)
			}
			expectClosed(t, c)
			healthCheck(t, cl, i+1)
		})
	}
}

func TestBadInputCorruptBatch(t *testing.T) {
	t.Parallel()
	addr, cl := startWithHealthyClient(t, broker.Config{})
	const topic = "crc"
	createTopic(t, cl, topic, 1, nil)
	good := func() []byte {
		return rawBatch{producerID: -1, producerEpoch: -1, baseSequence: -1, baseTimestamp: time.Now().UnixMilli(), records: simpleRecords("crc", 4)}.encode()
	}
	cases := []struct {
		name    string
		corrupt func([]byte) []byte
	}{
		{"flipped byte in the last record", func(b []byte) []byte { b[len(b)-2] ^= 0x40; return b }},
		{"flipped byte in the first record", func(b []byte) []byte { b[63] ^= 0x01; return b }},
		{"flipped CRC", func(b []byte) []byte { b[17] ^= 0x80; return b }},
		{"flipped codec bits", func(b []byte) []byte { b[22] ^= 0x01; return b }},
		{"flipped max timestamp", func(b []byte) []byte { b[42] ^= 0x01; return b }},
		{"batch length beyond the data", func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], uint32(len(b))); return b }},
		{"second of two batches corrupt", func(b []byte) []byte {
			second := good()
			second[len(second)-1] ^= 0xff
			return append(b, second...)
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := endOffset(t, cl, topic, 0)
			got := produceRaw(t, cl, topic, 0, tc.corrupt(good()))
			if err := kerr.ErrorForCode(got.ErrorCode); !errors.Is(err, kerr.CorruptMessage) {
				t.Fatalf("produce answered %v, want CORRUPT_MESSAGE", err)
			}
			if after := endOffset(t, cl, topic, 0); after != before {
				t.Fatalf("end offset moved from %d to %d: a corrupt batch was stored", before, after)
			}
			// The partition still takes good batches.
			ok := produceRaw(t, cl, topic, 0, good())
			if ok.ErrorCode != 0 || ok.BaseOffset != before {
				t.Fatalf("good batch after the corrupt one: error %v, base offset %d, want %d", kerr.ErrorForCode(ok.ErrorCode), ok.BaseOffset, before)
			}
			healthCheck(t, cl, i+1)
		})
	}
	// Only the good batches are readable.
	recs := consumeKgo(t, addr, topic, 0, 4*len(cases))
	for i, r := range recs {
		if want := fmt.Sprintf("crc-value-%d", i%4); string(r.Value) != want {
			t.Fatalf("offset %d = %q, want %q", r.Offset, r.Value, want)
		}
	}
}

func TestBadInputUnsupportedRequests(t *testing.T) {
	t.Parallel()
	addr, cl := startWithHealthyClient(t, broker.Config{})
	metadata := func(version int16) []byte {
		req := kmsg.NewPtrMetadataRequest()
		req.Version = min(version, req.MaxVersion())
		return requestFrame(3, version, 9, "x", version >= 9, req.AppendTo(nil))
	}
	cases := []struct {
		name  string
		frame []byte
	}{
		{"unknown key 99", requestFrame(99, 0, 1, "x", false, nil)},
		{"unknown key 1000", requestFrame(1000, 0, 1, "x", false, nil)},
		{"negative key", requestFrame(-3, 0, 1, "x", false, nil)},
		{"unregistered known key (SaslHandshake)", requestFrame(17, 1, 1, "x", false, []byte{0, 5, 'P', 'L', 'A', 'I', 'N'})},
		{"produce v0 (below the minimum)", requestFrame(0, 0, 1, "x", false, make([]byte, 10))},
		{"produce v2 (below the minimum)", requestFrame(0, 2, 1, "x", false, make([]byte, 10))},
		{"produce v99", requestFrame(0, 99, 1, "x", true, make([]byte, 10))},
		{"metadata v99", metadata(99)},
		{"fetch v3 (below the minimum)", requestFrame(1, 3, 1, "x", false, make([]byte, 30))},
		{"negative version", requestFrame(3, -1, 1, "x", false, nil)},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			if _, err := c.Write(tc.frame); err != nil {
				t.Fatalf("write: %v", err)
			}
			expectClosed(t, c)
			healthCheck(t, cl, i+1)
		})
	}
}

// apiVersionsV0Body parses a v0 ApiVersions response body strictly: error
// code, then the key array, nothing else.
func apiVersionsV0Body(t *testing.T, body []byte) (int16, map[int16][2]int16) {
	t.Helper()
	if len(body) < 6 {
		t.Fatalf("v0 body of %d bytes", len(body))
	}
	code := int16(binary.BigEndian.Uint16(body))
	n := int(int32(binary.BigEndian.Uint32(body[2:])))
	if n < 0 || len(body) != 6+6*n {
		t.Fatalf("v0 body of %d bytes holds %d keys: not the v0 format", len(body), n)
	}
	keys := map[int16][2]int16{}
	for i := range n {
		e := body[6+6*i:]
		keys[int16(binary.BigEndian.Uint16(e))] = [2]int16{int16(binary.BigEndian.Uint16(e[2:])), int16(binary.BigEndian.Uint16(e[4:]))}
	}
	return code, keys
}

func TestApiVersionsFallback(t *testing.T) {
	t.Parallel()
	addr, cl := startWithHealthyClient(t, broker.Config{})
	for _, version := range []int16{4, 5, 99, 0x7fff} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			c := dialRaw(t, addr)
			req := kmsg.NewPtrApiVersionsRequest()
			req.Version = 3
			req.ClientSoftwareName, req.ClientSoftwareVersion = "probe", "1.0"
			if _, err := c.Write(requestFrame(18, version, 77, "probe", true, req.AppendTo(nil))); err != nil {
				t.Fatal(err)
			}
			corr, body := readResponse(t, c)
			if corr != 77 {
				t.Fatalf("correlation id %d, want 77", corr)
			}
			code, keys := apiVersionsV0Body(t, body)
			if code != kerr.UnsupportedVersion.Code {
				t.Fatalf("error code %d, want UNSUPPORTED_VERSION (35)", code)
			}
			if r, ok := keys[18]; !ok || r[0] != 0 || r[1] < 3 {
				t.Fatalf("ApiVersions range %v (listed %v), want 0..>=3", r, ok)
			}
			// The client retries at a version it now knows, on the same
			// connection.
			retry := kmsg.NewPtrApiVersionsRequest()
			retry.Version = keys[18][1]
			if _, err := c.Write(kmsgFrame(retry, 78)); err != nil {
				t.Fatal(err)
			}
			corr, body = readResponse(t, c)
			resp := kmsg.NewPtrApiVersionsResponse()
			resp.Version = retry.Version
			if err := resp.ReadFrom(body); err != nil || corr != 78 || resp.ErrorCode != 0 {
				t.Fatalf("retry: correlation %d, error code %d, parse %v", corr, resp.ErrorCode, err)
			}
			if len(resp.ApiKeys) != len(keys) {
				t.Fatalf("retry lists %d keys, the fallback %d", len(resp.ApiKeys), len(keys))
			}
		})
	}
	healthCheck(t, cl, 1)
}

// apiVersionsRaw asks for ApiVersions at version over a raw connection and
// parses the answer, which must use response header v0 at every version.
func apiVersionsRaw(t *testing.T, addr string, version int16) *kmsg.ApiVersionsResponse {
	t.Helper()
	c := dialRaw(t, addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = version
	if version >= 3 {
		req.ClientSoftwareName, req.ClientSoftwareVersion = "conflux-test", "1"
	}
	if _, err := c.Write(kmsgFrame(req, 5)); err != nil {
		t.Fatal(err)
	}
	corr, body := readResponse(t, c)
	if corr != 5 {
		t.Fatalf("v%d: correlation id %d, want 5", version, corr)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = version
	if err := resp.ReadFrom(body); err != nil {
		t.Fatalf("v%d: cannot parse the body right after the correlation id (response header v0): %v", version, err)
	}
	if resp.ErrorCode != 0 {
		t.Fatalf("v%d: error code %d", version, resp.ErrorCode)
	}
	if len(resp.ApiKeys) == 0 {
		// A stray tag byte after the correlation id shifts a flexible
		// body so that it parses as an empty key list.
		t.Fatalf("v%d: no API keys listed", version)
	}
	return resp
}

func TestApiVersionsRanges(t *testing.T) {
	t.Parallel()
	addr := brokertest.Start(t)
	// Minimum: table T1 (every one of five clients passed with it); maximum:
	// sarama's default Kafka 2.8 column.
	want := []struct {
		key                int16
		t1Min, t1Max, v2_8 int16
	}{
		{0, 3, 7, 9},   // Produce
		{1, 4, 11, 12}, // Fetch
		{2, 1, 5, 6},   // ListOffsets
		{3, 0, 8, 11},  // Metadata
		{18, 0, 3, 3},  // ApiVersions
		{19, 0, 3, 7},  // CreateTopics
		{20, 0, 3, 6},  // DeleteTopics
		{21, 0, 1, 2},  // DeleteRecords
		{22, 0, 1, 4},  // InitProducerId
		{32, 0, 2, 4},  // DescribeConfigs
		{33, 0, 1, 2},  // AlterConfigs
		{37, 0, 1, 3},  // CreatePartitions
		{44, 0, 0, 1},  // IncrementalAlterConfigs
	}
	var first map[int16][2]int16
	for version := int16(0); version <= 3; version++ {
		resp := apiVersionsRaw(t, addr, version)
		got := map[int16][2]int16{}
		for _, k := range resp.ApiKeys {
			if _, dup := got[k.ApiKey]; dup {
				t.Fatalf("v%d lists key %d twice", version, k.ApiKey)
			}
			got[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
			if k.MinVersion > k.MaxVersion || k.MinVersion < 0 {
				t.Errorf("key %d (%s): range %d..%d", k.ApiKey, kmsg.NameForKey(k.ApiKey), k.MinVersion, k.MaxVersion)
			}
			if req := kmsg.RequestForKey(k.ApiKey); req == nil || k.MaxVersion > req.MaxVersion() {
				t.Errorf("key %d (%s): max %d beyond what kmsg knows", k.ApiKey, kmsg.NameForKey(k.ApiKey), k.MaxVersion)
			}
		}
		if first == nil {
			first = got
			for _, w := range want {
				r, ok := got[w.key]
				name := kmsg.NameForKey(w.key)
				switch {
				case !ok:
					t.Errorf("%s (%d) is not advertised", name, w.key)
				case r[0] > w.t1Min || r[1] < w.t1Max:
					t.Errorf("%s (%d): %d..%d does not cover T1 %d..%d", name, w.key, r[0], r[1], w.t1Min, w.t1Max)
				case r[1] > w.v2_8:
					t.Errorf("%s (%d): max %d above the Kafka 2.8 version %d", name, w.key, r[1], w.v2_8)
				}
			}
			continue
		}
		if len(got) != len(first) {
			t.Errorf("v%d lists %d keys, v0 %d", version, len(got), len(first))
		}
		for k, r := range first {
			if got[k] != r {
				t.Errorf("v%d: key %d range %v, v0 said %v", version, k, got[k], r)
			}
		}
	}
}
