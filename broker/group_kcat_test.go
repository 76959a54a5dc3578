package broker_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TestGroupKcat consumes through librdkafka's balanced consumer (kcat -G):
// a first run reads what was produced and commits on exit, a second run in
// the same group reads only the records produced since.
func TestGroupKcat(t *testing.T) {
	t.Parallel()
	kcat := kcatPath(t)
	addr := startGroupBroker(t)
	const topic, group = "kcat-group", "kcat-consumers"
	cl := newKgoClient(t, addr)
	createTopic(t, cl, topic, 3, nil)

	consume := func(n int) []string {
		t.Helper()
		out := runKcat(t, kcat, "", "-b", addr, "-G", group, "-X", "auto.offset.reset=earliest", "-c", strconv.Itoa(n),
			"-f", "%s\n", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500", "-q", topic)
		lines := strings.Fields(out)
		slices.Sort(lines)
		return lines
	}
	first := produceValues(t, addr, topic, 3, 30, "a")
	slices.Sort(first)
	if got := consume(30); !slices.Equal(got, first) {
		t.Fatalf("first run read %v, want %v", got, first)
	}
	offsets, err := kadm.NewClient(cl).FetchOffsets(testCtx(t), group)
	if err != nil || offsets.Error() != nil {
		t.Fatal(err, offsets.Error())
	}
	for p := range int32(3) {
		if o, ok := offsets.Lookup(topic, p); !ok || o.At != 10 {
			t.Fatalf("partition %d committed at %d, want 10", p, o.At)
		}
	}
	second := produceValues(t, addr, topic, 3, 9, "b")
	slices.Sort(second)
	if got := consume(9); !slices.Equal(got, second) {
		t.Fatalf("second run read %v, want only the new records %v", got, second)
	}
}
