package http

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	nethttp "net/http"
	"os"
	"time"
)

// tlsSettings are the https.ssl.* keys.
type tlsSettings struct {
	caFile, certFile, keyFile string
	insecure                  bool
}

func (s tlsSettings) config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.insecure}
	if s.caFile != "" {
		pem, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeyTLSCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate in %s", KeyTLSCAFile, s.caFile)
		}
		cfg.RootCAs = pool
	}
	if s.certFile != "" || s.keyFile != "" {
		cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
		if err != nil {
			return nil, fmt.Errorf("%s and %s: %w", KeyTLSCertFile, KeyTLSKeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// newClient returns the task's HTTP client: connect and request timeouts,
// TLS options, and enough idle connections for max.in.flight requests.
func newClient(s *settings) (*nethttp.Client, error) {
	tlsCfg, err := s.tls.config()
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: s.connectTimeout, KeepAlive: 30 * time.Second}
	tr := &nethttp.Transport{
		Proxy:               nethttp.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: s.connectTimeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        s.maxInFlight * 2,
		MaxIdleConnsPerHost: s.maxInFlight * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	return &nethttp.Client{Transport: tr, Timeout: s.requestTimeout}, nil
}
