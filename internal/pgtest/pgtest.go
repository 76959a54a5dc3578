// Package pgtest starts a throwaway PostgreSQL server for tests: initdb in a
// temporary directory from the server binaries under /usr/lib/postgresql,
// wal_level=logical, listening on a free loopback port, stopped when the
// test ends.
//
// The one thing to know: Postgres refuses to run as root, so when the tests
// run as root the server runs as the unprivileged user "postgres" (the
// Debian package creates it), and the temporary directory is opened up
// enough for that user to reach its data directory. Without the binaries the
// test is skipped, unless the environment variable CI is set: CI must run
// these tests, so there it fails instead.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser credentials of every server this package starts.
const (
	User     = "postgres"
	Password = "secret"
)

// startTimeout bounds how long the server may take to accept connections.
const startTimeout = 60 * time.Second

// Server is a running test server. Its methods must be called from the test
// goroutine or with the test still running.
type Server struct {
	// Host and Port are where the server listens.
	Host string
	Port int

	bin     string // directory of initdb and postgres
	dataDir string
	logPath string
	cred    *syscall.Credential // nil: run as ourselves
	cmd     *exec.Cmd
	exited  chan struct{}
}

// Start initialises and starts a server, stopped when the test ends. extra
// are additional postgres settings ("name=value").
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := findBin()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("pgtest: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin; .ci/run must install them")
		}
		t.Skip("pgtest: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
	}
	s := &Server{Host: "127.0.0.1", bin: bin}
	dir := t.TempDir()
	s.dataDir = filepath.Join(dir, "data")
	s.logPath = filepath.Join(dir, "postgres.log")
	if err := s.prepare(dir); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := s.initdb(dir); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := s.writeConf(extra); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { s.stop() })
	s.Restart(t)
	return s
}

// findBin returns the bin directory of the newest installed server, or "".
func findBin() string {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(found, func(a, b string) int { return majorOf(a) - majorOf(b) })
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[len(found)-1])
}

// majorOf reads the major version from /usr/lib/postgresql/<major>/bin/initdb.
func majorOf(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// prepare decides which user runs the server and lets that user reach dir.
func (s *Server) prepare(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the user postgres to run the server: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	// t.TempDir's directories are private to root; postgres only needs to
	// pass through them.
	for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
			return err
		}
	}
	return os.Chown(dir, uid, gid)
}

// command returns a command running one of the server binaries as the
// server's user.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func (s *Server) initdb(dir string) error {
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(Password+"\n"), 0o644); err != nil {
		return err
	}
	cmd := s.command("initdb", "-D", s.dataDir, "-U", User, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

// writeConf picks a free port and appends the test settings to
// postgresql.conf, so that a restart keeps them.
func (s *Server) writeConf(extra []string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := []string{
		"listen_addresses='127.0.0.1'",
		"port=" + strconv.Itoa(s.Port),
		"unix_socket_directories=''",
		"wal_level=logical",
		"max_replication_slots=20",
		"max_wal_senders=20",
		"max_connections=100",
		"fsync=off",
		"synchronous_commit=off",
		"full_page_writes=off",
		"timezone='UTC'",
	}
	conf = append(conf, extra...)
	f, err := os.OpenFile(filepath.Join(s.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + strings.Join(conf, "\n") + "\n")
	return errors.Join(err, f.Close())
}

// Restart starts the server again after Stop (Start has already started
// it), on the same port with the same data, and waits until it accepts
// connections.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer logf.Close()
	cmd := s.command("postgres", "-D", s.dataDir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("pgtest: start postgres: %v", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.exited)

	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.DSN("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("pgtest: postgres exited at start:\n%s", s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgtest: postgres not ready after %v: %v\n%s", startTimeout, err, s.logTail())
		}
	}
}

// Stop shuts the server down (fast shutdown: sessions are disconnected)
// and waits until it has exited.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

func (s *Server) stop() error {
	if s.cmd == nil {
		return nil
	}
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("postgres did not stop within 30s; killed it")
	}
}

// logTail returns the end of the server log, for error messages.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// DSN returns a connection URL for the superuser to database db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", User, Password, s.Host, s.Port, db)
}

// Connect opens a connection to database db, closed when the test ends.
func (s *Server) Connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", db, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// CreateDatabase creates a database and returns its name.
func (s *Server) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	s.Exec(t, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return name
}

// Exec runs statements in database db on a fresh connection, failing the
// test on the first error.
func (s *Server) Exec(t testing.TB, db string, statements ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", db, err)
	}
	defer conn.Close(context.Background())
	for _, q := range statements {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("pgtest: %s: %v", q, err)
		}
	}
}

// BenchTable is the statement creating the benchmarks' 10-column table
// public.<name>, shaped like the tables of published CDC figures.
func BenchTable(name string) string {
	return `CREATE TABLE public.` + name + ` (id bigint PRIMARY KEY, customer text NOT NULL, email text, amount numeric(12,2),
		qty int, price double precision, country char(2), created timestamptz, paid boolean, note text)`
}

// BenchInsert is the statement inserting rows from to to (inclusive) into a
// BenchTable.
func BenchInsert(name string, from, to int) string {
	return fmt.Sprintf(`INSERT INTO public.%s SELECT g, 'customer-' || g, 'c' || g || '@example.com', (g %% 100000) / 100.0,
		g %% 10, g * 0.5, 'FR', now(), g %% 2 = 0, 'a note of some length for row ' || g FROM generate_series(%d, %d) g`, name, from, to)
}
