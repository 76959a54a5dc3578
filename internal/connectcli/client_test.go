package connectcli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"conflux/runtime"
	"conflux/runtime/rest/resttest"
)

var srcConfig = map[string]string{"connector.class": resttest.SourcePlugin, "topic": "orders", "tasks.max": "2"}

func TestClientRetriesRebalanceConflicts(t *testing.T) {
	h := &rebalancingHerder{MemHerder: newMemHerder()}
	c := newTestClient(t, startREST(t, h))
	ctx := t.Context()

	h.conflicts.Store(3)
	names, _, err := c.Connectors(ctx)
	if err != nil || len(names) != 0 || h.listCalls.Load() != 4 {
		t.Fatalf("after 3 conflicts: names %q, err %v, %d calls; want [], nil, 4", names, err, h.listCalls.Load())
	}

	h.listCalls.Store(0)
	h.conflicts.Store(10)
	_, resp, err := c.Connectors(ctx)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, ErrConflict) || resp.StatusCode != http.StatusConflict || h.listCalls.Load() != 4 {
		t.Fatalf("persistent conflict: err %v, %d calls; want a 409 APIError after 4 calls", err, h.listCalls.Load())
	}
	if want := rebalanceMsg + " (HTTP 409)"; err.Error() != want {
		t.Errorf("error text %q, want %q", err.Error(), want)
	}

	h.conflicts.Store(0)
	req := CreateRequest{Name: "src", Config: srcConfig}
	if _, _, err := c.CreateConnector(ctx, req); err != nil {
		t.Fatal(err)
	}
	h.putCalls.Store(0)
	_, _, err = c.CreateConnector(ctx, req)
	if !errors.Is(err, ErrConflict) || err.Error() != "Connector src already exists (HTTP 409)" || h.putCalls.Load() != 1 {
		t.Errorf("create of an existing connector: %v after %d calls; want the 409 at once", err, h.putCalls.Load())
	}
}

func TestClientRetryStopsWithContext(t *testing.T) {
	h := &rebalancingHerder{MemHerder: newMemHerder()}
	h.conflicts.Store(100)
	c, err := NewClient(startREST(t, h), WithRetry(100, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, _, err = c.Connectors(ctx)
	if !errors.Is(err, ErrConflict) || h.listCalls.Load() != 1 {
		t.Errorf("cancelled during backoff: %v after %d calls; want the 409 after 1", err, h.listCalls.Load())
	}
}

func TestClientAPIErrors(t *testing.T) {
	c := newTestClient(t, startREST(t, newMemHerder()))
	ctx := t.Context()
	tests := []struct {
		name   string
		call   func() error
		want   string
		status int
		is     error
	}{
		{"unknown connector", func() error { _, _, err := c.Connector(ctx, "nope"); return err },
			"Connector nope not found (HTTP 404)", 404, ErrNotFound},
		{"unknown status", func() error { _, _, err := c.ConnectorStatus(ctx, "nope"); return err },
			"No status found for connector nope (HTTP 404)", 404, ErrNotFound},
		{"unknown task", func() error { _, err := c.RestartTask(ctx, "nope", 3); return err },
			"Unknown task: nope-3 (HTTP 404)", 404, ErrNotFound},
		{"no class", func() error {
			_, _, err := c.CreateConnector(ctx, CreateRequest{Name: "x", Config: map[string]string{"topic": "t"}})
			return err
		}, "Connector config {name=x, topic=t} contains no connector type (HTTP 400)", 400, ErrBadRequest},
		{"bad offsets", func() error {
			_, _, err := c.AlterConnectorOffsets(ctx, "nope", runtime.ConnectorOffsets{})
			return err
		}, "Partitions / offsets need to be provided for an alter offsets request (HTTP 400)", 400, ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("got %v, want an *APIError", err)
			}
			if err.Error() != tt.want || apiErr.StatusCode != tt.status || apiErr.Code != tt.status || !errors.Is(err, tt.is) {
				t.Errorf("got %q (status %d, code %d), want %q (%d, errors.Is %v)", err, apiErr.StatusCode, apiErr.Code, tt.want, tt.status, tt.is)
			}
		})
	}
}

func TestClientForeignErrorBodies(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"html", "<html>\n<body>Bad   Gateway</body></html>", 502, "GET /connectors: <html> <body>Bad Gateway</body></html> (HTTP 502)"},
		{"empty", "", 503, "GET /connectors: Service Unavailable (HTTP 503)"},
		{"code differs", `{"error_code":500,"message":"Request timed out"}`, 504, "Request timed out (HTTP 500)"},
		{"long", strings.Repeat("x", 300), 500, "GET /connectors: " + strings.Repeat("x", maxExcerpt) + "… (HTTP 500)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(statusHandler(tt.status, tt.body))
			defer srv.Close()
			_, _, err := newTestClient(t, srv.URL).Connectors(t.Context())
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more: connection refused

	_, _, err = newTestClient(t, addr).Connectors(t.Context())
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want ErrUnreachable and ECONNREFUSED", err)
	}
	for _, want := range []string{"http://" + addr, "connection refused", "conflux standalone", "--rest", EnvURL} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %q", err, want)
		}
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	_, _, err := newTestClient(t, srv.URL, WithTimeout(50*time.Millisecond)).Connectors(t.Context())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "no response within 50ms") {
		t.Errorf("got %v, want ErrUnreachable with no response within 50ms", err)
	}
}

func TestClientEscapesNames(t *testing.T) {
	c := newTestClient(t, startREST(t, newMemHerder()))
	ctx := t.Context()
	for _, name := range []string{"a/b", "with space", "q?x=1", "pct%2F", "ünï"} {
		config := map[string]string{"connector.class": resttest.SourcePlugin, "topic": "t"}
		info, resp, err := c.PutConnectorConfig(ctx, name, config)
		if err != nil || resp.StatusCode != http.StatusCreated || info.Name != name {
			t.Fatalf("put %q: %v, %v, %q", name, err, resp, info.Name)
		}
		if got := resp.Header.Get("Location"); got != pathOf("connectors", name) {
			t.Errorf("Location %q, want %q", got, pathOf("connectors", name))
		}
		st, _, err := c.ConnectorStatus(ctx, name)
		if err != nil || st.Name != name {
			t.Errorf("status %q: %v, %q", name, err, st.Name)
		}
		if _, err := c.DeleteConnector(ctx, name); err != nil {
			t.Errorf("delete %q: %v", name, err)
		}
	}
}

func TestClientPathPrefix(t *testing.T) {
	api := startREST(t, newMemHerder())
	backend, err := http.NewRequest(http.MethodGet, api, nil)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(http.StripPrefix("/connect", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Scheme, r.URL.Host = backend.URL.Scheme, backend.URL.Host
		r.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(mustRead(t, resp))
	})))
	defer proxy.Close()
	c := newTestClient(t, proxy.URL+"/connect/")
	if c.BaseURL() != proxy.URL+"/connect" {
		t.Errorf("BaseURL %q", c.BaseURL())
	}
	plugins, _, err := c.Plugins(t.Context(), true)
	if err != nil || len(plugins) != 2 {
		t.Errorf("plugins through the prefix: %v, %v", plugins, err)
	}
}
