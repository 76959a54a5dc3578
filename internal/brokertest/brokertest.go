// Package brokertest starts a real Conflux broker on a loopback port for
// tests, with its data in a temporary directory.
package brokertest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"conflux/broker"
)

// Start runs a broker on 127.0.0.1 with an ephemeral port and returns its
// address. The broker is closed when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	return StartWith(t, broker.Config{})
}

// StartWith is Start with settings; Listen and DataDir are filled in when
// empty, and logs are discarded unless cfg.Logger is set.
func StartWith(t testing.TB, cfg broker.Config) string {
	t.Helper()
	srv := New(t, cfg)
	if err := srv.Start(); err != nil {
		t.Fatalf("start broker: %v", err)
	}
	return srv.Addr()
}

// New opens a broker without starting it, closed when the test ends.
func New(t testing.TB, cfg broker.Config) *broker.Server {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := broker.New(cfg)
	if err != nil {
		t.Fatalf("open broker: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// ReadRecords consumes n records of topic from the start with franz-go,
// failing the test if they do not arrive within 20 seconds.
func ReadRecords(t testing.TB, addr, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollRecords(ctx, n-len(out))
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %s: got %d of %d records: %v", topic, len(out), n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s-%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	return out
}
