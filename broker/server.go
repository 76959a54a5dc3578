package broker

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Server is a single-node Kafka-protocol broker.
type Server struct {
	cfg       Config
	logger    *slog.Logger
	clusterID string
	topics    *topicRegistry
	producers *producerIDs
	groups    *coordinator

	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	ln        net.Listener
	host      string
	port      int32
	conns     map[*conn]struct{}
	wg        sync.WaitGroup
	closed    bool
	closeErr  error
	closeOnce sync.Once
}

// clusterRecord is the broker's identity as persisted in meta/cluster.json.
type clusterRecord struct {
	ClusterID string `json:"cluster_id"`
	NodeID    int32  `json:"node_id"`
}

// New opens (or initialises) the data directory and recovers every partition
// log. The broker accepts connections once Start is called.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "meta"), 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	clusterID, err := loadClusterID(cfg.DataDir, cfg.NodeID)
	if err != nil {
		return nil, err
	}
	producers, err := openProducerIDs(filepath.Join(cfg.DataDir, "meta", "producer-ids"))
	if err != nil {
		return nil, err
	}
	topics, err := openTopicRegistry(cfg.DataDir, cfg.TopicDefaults, cfg.Logger)
	if err != nil {
		return nil, err
	}
	groups := newCoordinator(topics, cfg)
	if err := groups.load(); err != nil {
		topics.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg:       cfg,
		logger:    cfg.Logger,
		clusterID: clusterID,
		topics:    topics,
		producers: producers,
		groups:    groups,
		ctx:       ctx,
		cancel:    cancel,
		conns:     map[*conn]struct{}{},
	}, nil
}

// loadClusterID reads the cluster id of the data directory, creating one on
// first start. A data directory belongs to one node id.
func loadClusterID(dataDir string, nodeID int32) (string, error) {
	path := filepath.Join(dataDir, "meta", "cluster.json")
	data, err := os.ReadFile(path)
	if err == nil {
		var rec clusterRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			return "", fmt.Errorf("%s is corrupt: %w", path, err)
		}
		if rec.NodeID != nodeID {
			return "", fmt.Errorf("data directory %s belongs to node.id %d, not %d", dataDir, rec.NodeID, nodeID)
		}
		return rec.ClusterID, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	rec := clusterRecord{ClusterID: base64.RawURLEncoding.EncodeToString(raw[:]), NodeID: nodeID}
	data, _ = json.Marshal(rec)
	if err := writeFileAtomic(path, data); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return rec.ClusterID, nil
}

// Start listens on the configured address and serves clients in the
// background until Close.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	advertised := s.cfg.AdvertisedListener
	if advertised == "" {
		advertised = ln.Addr().String()
	}
	host, portStr, err := net.SplitHostPort(advertised)
	if err != nil {
		ln.Close()
		return fmt.Errorf("advertised listener %q: %w", advertised, err)
	}
	port, err := strconv.ParseInt(portStr, 10, 32)
	if err != nil {
		ln.Close()
		return fmt.Errorf("advertised listener %q: bad port", advertised)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return errors.New("broker is closed")
	}
	s.ln, s.host, s.port = ln, host, int32(port)
	s.mu.Unlock()
	s.logger.Info("broker listening", "address", ln.Addr().String(), "advertised", net.JoinHostPort(host, portStr), "data_dir", s.cfg.DataDir, "cluster_id", s.clusterID)
	s.wg.Go(s.acceptLoop)
	s.wg.Go(s.flushLoop)
	s.wg.Go(s.maintenanceLoop)
	s.wg.Go(func() { s.groups.run(s.ctx) })
	return nil
}

// Addr returns the address the broker listens on ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

func (s *Server) acceptLoop() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.logger.Error("accept failed", "error", err)
			}
			return
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		})
	}
}

// Close stops accepting connections, closes the open ones, and closes every
// partition log cleanly. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		if s.ln != nil {
			s.ln.Close()
		}
		s.cancel()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.closeErr = s.topics.close()
		s.logger.Info("broker stopped")
	})
	return s.closeErr
}

// advertised returns the host and port clients are told to connect to.
func (s *Server) advertised() (string, int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host, s.port
}
