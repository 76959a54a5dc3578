package rest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultShutdownTimeout is how long Shutdown lets requests in flight finish
// when the caller's context has no deadline.
const DefaultShutdownTimeout = 10 * time.Second

// Server serves an http.Handler (usually the one [New] returns) on one
// listener. Its methods are safe for concurrent use; a Server serves at
// most once.
type Server struct {
	srv             *http.Server
	log             *slog.Logger
	shutdownTimeout time.Duration

	mu      sync.Mutex
	ln      net.Listener
	started bool
}

// NewServer returns a server for h. logger receives serving errors; nil
// discards them. shutdownTimeout bounds the soft part of shutdown when Run
// ends because its context is done; 0 means DefaultShutdownTimeout.
func NewServer(h http.Handler, logger *slog.Logger, shutdownTimeout time.Duration) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if shutdownTimeout <= 0 {
		shutdownTimeout = DefaultShutdownTimeout
	}
	return &Server{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		log:             logger,
		shutdownTimeout: shutdownTimeout,
	}
}

// Listen binds addr ("127.0.0.1:8083", ":0" …) without serving yet, so the
// caller can learn the address, and requests that arrive before Run are
// queued by the kernel rather than refused.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("rest: listen on %s: %w", addr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		ln.Close()
		return errors.New("rest: Listen called twice")
	}
	s.ln = ln
	return nil
}

// Addr returns the bound address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Run serves on the listener bound by Listen until ctx is done, then shuts
// down (see Shutdown, bounded by the server's shutdown timeout) and returns
// ctx.Err(). It returns early with the error if serving fails, and with nil
// if Shutdown is called directly.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	ln := s.ln
	if ln == nil || s.started {
		s.mu.Unlock()
		return errors.New("rest: Run needs a listener from Listen, and runs once")
	}
	s.started = true
	s.mu.Unlock()

	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ln) }()
	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil // Shutdown was called directly
		}
		return fmt.Errorf("rest: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		s.log.Warn("REST server shutdown was not clean", "err", err)
	}
	<-served
	return ctx.Err()
}

// ListenAndServe binds addr and serves until ctx is done, as Listen then
// Run.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	if err := s.Listen(addr); err != nil {
		return err
	}
	return s.Run(ctx)
}

// Shutdown stops the server: it closes the listener, lets requests in
// flight finish until ctx is done (soft), then closes every connection,
// which cancels the requests' contexts (hard). It returns ctx's error when
// the hard part was needed. It is idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		if cerr := s.srv.Close(); cerr != nil && !errors.Is(cerr, http.ErrServerClosed) {
			return errors.Join(err, cerr)
		}
	}
	s.mu.Lock()
	ln, started := s.ln, s.started
	s.mu.Unlock()
	if ln != nil && !started {
		ln.Close() // bound but never served: Shutdown cannot see it
	}
	return err
}
