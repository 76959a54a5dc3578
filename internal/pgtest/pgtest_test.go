package pgtest

import (
	"context"
	"testing"
)

func TestStartRestart(t *testing.T) {
	s := Start(t)
	var level string
	if err := s.Connect(t, "postgres").QueryRow(context.Background(), "SHOW wal_level").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level != "logical" {
		t.Fatalf("wal_level = %q, want logical", level)
	}
	s.CreateDatabase(t, "app")
	s.Exec(t, "app", "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	s.Stop(t)
	s.Restart(t)
	var n int
	if err := s.Connect(t, "app").QueryRow(context.Background(), "SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("count = %d after restart, want 1", n)
	}
}
