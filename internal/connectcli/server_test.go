package connectcli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"conflux/runtime"
	"conflux/runtime/rest"
	"conflux/runtime/rest/resttest"
)

// startREST serves Conflux's REST API over h on a loopback httptest server
// and returns its URL.
func startREST(t *testing.T, h runtime.Herder) string {
	t.Helper()
	srv := httptest.NewServer(rest.New(rest.Config{Herder: h, Registry: resttest.NewRegistry(), Version: "test", Commit: "test"}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// newMemHerder returns an empty in-memory herder with the contract plugins.
func newMemHerder() *resttest.MemHerder { return resttest.NewMemHerder(resttest.NewRegistry()) }

// newTestClient returns a client of url that retries fast.
func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(url, append([]Option{WithRetry(4, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rebalanceMsg is Kafka Connect's 409 text while no leader is known.
const rebalanceMsg = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."

// rebalancingHerder answers its first conflicts calls of Connectors and
// PutConnectorConfig with a rebalance conflict, as a worker does while its
// group rebalances, and counts the calls.
type rebalancingHerder struct {
	*resttest.MemHerder
	conflicts atomic.Int32 // calls still to refuse
	listCalls atomic.Int32
	putCalls  atomic.Int32
}

func (h *rebalancingHerder) conflict() error {
	if h.conflicts.Add(-1) >= 0 {
		return fmt.Errorf("%w: %s", runtime.ErrConflict, rebalanceMsg)
	}
	return nil
}

func (h *rebalancingHerder) Connectors(ctx context.Context) ([]string, error) {
	h.listCalls.Add(1)
	if err := h.conflict(); err != nil {
		return nil, err
	}
	return h.MemHerder.Connectors(ctx)
}

func (h *rebalancingHerder) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial runtime.TargetState) (runtime.ConnectorInfo, bool, error) {
	h.putCalls.Add(1)
	if err := h.conflict(); err != nil {
		return runtime.ConnectorInfo{}, false, err
	}
	return h.MemHerder.PutConnectorConfig(ctx, name, config, allowReplace, initial)
}

// statusHandler answers every request with status and body.
func statusHandler(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

// mustRead reads a whole response body.
func mustRead(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
	}
	return b
}
