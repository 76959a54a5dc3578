package broker_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/internal/brokertest"
)

// kcatPath finds kcat (librdkafka's command-line client). Without it the
// tests are skipped on a developer machine but fail in CI, where it must be
// installed.
func kcatPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"kcat", "kafkacat"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("kcat is not installed, and CI is set: install kcat (apt-get install kcat)")
	}
	t.Skip("kcat is not installed")
	return ""
}

// runKcat runs kcat with args and stdin, failing the test on a non-zero exit.
func runKcat(t *testing.T, kcat, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(testCtx(t), kcat, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func TestKcatMetadata(t *testing.T) {
	t.Parallel()
	kcat := kcatPath(t)
	addr := brokertest.Start(t)
	createTopic(t, newKgoClient(t, addr), "listed", 3, nil)
	out := runKcat(t, kcat, "", "-L", "-b", addr, "-m", "10")
	for _, want := range []string{
		"broker 1 at " + addr,
		`topic "listed" with 3 partitions:`,
		"partition 2, leader 1, replicas: 1, isrs: 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kcat -L output lacks %q:\n%s", want, out)
		}
	}
}

func TestKcatProduceConsume(t *testing.T) {
	t.Parallel()
	kcat := kcatPath(t)
	addr := brokertest.Start(t)
	admin := newKgoClient(t, addr)
	cases := []struct {
		name  string
		codec string
		extra []string
	}{
		{"none", "none", nil},
		{"gzip", "gzip", nil},
		{"snappy", "snappy", nil},
		{"lz4", "lz4", nil},
		{"zstd", "zstd", nil},
		{"idempotent", "lz4", []string{"-X", "enable.idempotence=true"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			topic := "kcat-" + tc.name
			createTopic(t, admin, topic, 1, nil)
			const n = 40
			var in, want strings.Builder
			for i := range n {
				fmt.Fprintf(&in, "key-%d:value %d %s\n", i, i, strings.Repeat("x", i))
				fmt.Fprintf(&want, "key-%d|value %d %s|app=kcat,codec=%s\n", i, i, strings.Repeat("x", i), tc.codec)
			}
			args := append([]string{"-P", "-b", addr, "-t", topic, "-p", "0", "-K:", "-z", tc.codec,
				"-H", "app=kcat", "-H", "codec=" + tc.codec}, tc.extra...)
			runKcat(t, kcat, in.String(), args...)

			out := runKcat(t, kcat, "", "-C", "-b", addr, "-t", topic, "-e", "-o", "beginning", "-f", `%k|%s|%h\n`)
			if out != want.String() {
				t.Fatalf("kcat consumed:\n%s\nwant:\n%s", out, want.String())
			}
			// The records are readable by another client too, at
			// contiguous offsets.
			recs := consumeKgo(t, addr, topic, 0, n)
			for i, r := range recs {
				if r.Offset != int64(i) || string(r.Key) != fmt.Sprintf("key-%d", i) {
					t.Fatalf("franz-go read offset %d key %q at position %d", r.Offset, r.Key, i)
				}
			}
			if end := endOffset(t, admin, topic, 0); end != n {
				t.Fatalf("end offset %d, want %d", end, n)
			}
		})
	}
}

var kcatQueryOffset = regexp.MustCompile(`\[0\]\s+offset\s+(-?\d+)`)

func TestKcatQueryOffsetsByTime(t *testing.T) {
	t.Parallel()
	kcat := kcatPath(t)
	addr := brokertest.Start(t)
	const topic = "kcat-times"
	cl := newKgoClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	createTopic(t, cl, topic, 1, nil)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond).UnixMilli()
	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Append(nil, i), Timestamp: time.UnixMilli(t0 + int64(i)*1000)})
	}
	if err := cl.ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
		t.Fatalf("ProduceSync: %v", err)
	}
	cases := []struct {
		ts   int64
		want int64
	}{
		{t0 - 1, 0},
		{t0, 0},
		{t0 + 1500, 2},
		{t0 + 4000, 4},
		{t0 + 4001, -1},
	}
	for _, tc := range cases {
		out := runKcat(t, kcat, "", "-Q", "-b", addr, "-t", fmt.Sprintf("%s:0:%d", topic, tc.ts))
		m := kcatQueryOffset.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("kcat -Q at t0%+d printed no offset:\n%s", tc.ts-t0, out)
		}
		if got, _ := strconv.ParseInt(m[1], 10, 64); got != tc.want {
			t.Errorf("kcat -Q at t0%+d = offset %d, want %d", tc.ts-t0, got, tc.want)
		}
	}
}
