package datagen

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a clock whose waits return at once, moving time forward.
type fakeClock struct {
	now   time.Time
	waits int
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits++
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

func startPaced(t *testing.T, clk *fakeClock, extra ...string) *Task {
	t.Helper()
	cfg := map[string]string{KeyTopic: "t", KeyQuickstart: "users", KeyRandomSeed: "5"}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i]] = extra[i+1]
	}
	task := &Task{clock: clk}
	if err := task.Start(context.Background(), nil, cfg); err != nil {
		t.Fatal(err)
	}
	return task
}

// pollFor polls until the fake clock has passed d and returns the number
// of records.
func pollFor(t *testing.T, task *Task, clk *fakeClock, d time.Duration) int {
	t.Helper()
	end := clk.now.Add(d)
	n := 0
	for clk.now.Before(end) {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(recs)
	}
	return n
}

func TestRatePacing(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1000, 0)}
	task := startPaced(t, clk, KeyRate, "200", KeyMaxInterval, "5000")
	if n := pollFor(t, task, clk, 10*time.Second); n < 1995 || n > 2005 {
		t.Errorf("%d records in 10s at 200/s", n)
	}

	// Falling behind releases what is due in one batch, at most a second's
	// worth.
	clk.advance(300 * time.Millisecond)
	recs, _ := task.Poll(context.Background())
	if len(recs) < 59 || len(recs) > 61 {
		t.Errorf("%d records after a 300ms pause, want 60", len(recs))
	}
	clk.advance(time.Minute)
	recs, _ = task.Poll(context.Background())
	if len(recs) < 199 || len(recs) > 201 {
		t.Errorf("%d records after a minute's pause, want a second's worth (200)", len(recs))
	}
}

func TestMaxIntervalPacing(t *testing.T) {
	clk := &fakeClock{now: time.Unix(1000, 0)}
	task := startPaced(t, clk, KeyMaxInterval, "100")
	// Random gaps in [0, 100ms) average 50ms: about 20 records a second.
	n := pollFor(t, task, clk, 100*time.Second)
	if n < 1800 || n > 2200 {
		t.Errorf("%d records in 100s with max.interval=100, want about 2000", n)
	}
	if clk.waits == 0 {
		t.Error("the task never waited")
	}
}

func TestUnthrottled(t *testing.T) {
	for _, extra := range [][]string{{KeyMaxInterval, "0"}, {KeyRate, "-1", KeyMaxInterval, "500"}} {
		clk := &fakeClock{now: time.Unix(1000, 0)}
		task := startPaced(t, clk, extra...)
		recs, err := task.Poll(context.Background())
		if err != nil || len(recs) != pollBatch || clk.waits != 0 {
			t.Errorf("%v: Poll = %d records, %v, %d waits", extra, len(recs), err, clk.waits)
		}
	}
}

func TestPacedPollStops(t *testing.T) {
	// A real clock and a long interval: cancelling the context ends the wait.
	task := &Task{}
	cfg := map[string]string{KeyTopic: "t", KeyQuickstart: "users", KeyRate: "0.001"}
	if err := task.Start(context.Background(), nil, cfg); err != nil {
		t.Fatal(err)
	}
	if recs, _ := task.Poll(context.Background()); len(recs) != 1 {
		t.Fatalf("first Poll = %d records, want 1", len(recs))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		recs, _ := task.Poll(ctx)
		done <- len(recs)
	}()
	cancel()
	if n := <-done; n != 0 {
		t.Errorf("cancelled Poll returned %d records", n)
	}
}
