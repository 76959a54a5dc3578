package http

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// guarded wraps the endpoint's handler with a credentials check; a
// request without the right ones gets 401 and is not kept.
func guarded(e *endpoint, ok func(r *nethttp.Request) bool) {
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if !ok(r) {
			nethttp.Error(w, "who are you?", nethttp.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
}

func TestBasicAndBearerAuth(t *testing.T) {
	for _, c := range []struct {
		name   string
		config map[string]string
		ok     func(r *nethttp.Request) bool
	}{
		{"basic", map[string]string{KeyAuthType: "basic", KeyBasicUser: "ann", KeyBasicPassword: "s3cret"},
			func(r *nethttp.Request) bool { u, p, ok := r.BasicAuth(); return ok && u == "ann" && p == "s3cret" }},
		{"bearer", map[string]string{KeyAuthType: "bearer", KeyBearerToken: "tok-1"},
			func(r *nethttp.Request) bool { return r.Header.Get("Authorization") == "Bearer tok-1" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEndpoint(t)
			guarded(e, c.ok)
			task := startSink(t, &taskContext{}, e.srv.URL, c.config)
			putAll(t, task, records(1, 0, 10), 10)
			waitCommittable(t, task, upTo(1, 10))
			checkInOrder(t, e.received(), 1, 10)
		})
		// Wrong credentials are a 401: not retriable, rejected.
		t.Run(c.name+" wrong", func(t *testing.T) {
			e := newEndpoint(t)
			guarded(e, func(*nethttp.Request) bool { return false })
			rep := &reporter{}
			task := startSink(t, &taskContext{reporter: rep}, e.srv.URL, c.config)
			putAll(t, task, records(1, 0, 1), 1)
			waitCommittable(t, task, upTo(1, 1))
			if r := rep.all(); len(r) != 1 || !strings.Contains(r[0].err.Error(), "401") {
				t.Errorf("reported %v, want the record with its 401", r)
			}
		})
	}
}

// tokenServer is an OAuth2 token endpoint for the client credentials
// grant, handing out tok-1, tok-2, …
type tokenServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	issued int
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.srv = httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "app" || secret != "pw" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "write" {
			nethttp.Error(w, `{"error":"invalid_client"}`, 401)
			return
		}
		ts.mu.Lock()
		ts.issued++
		n := ts.issued
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

// TestOAuth2 caches the token across requests, and fetches a new one when
// the endpoint answers 401 (it revoked the first token after three uses).
func TestOAuth2(t *testing.T) {
	ts := newTokenServer(t)
	e := newEndpoint(t)
	var mu sync.Mutex
	uses := map[string]int{}
	guarded(e, func(r *nethttp.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		uses[tok]++
		return tok == "tok-2" || tok == "tok-1" && uses[tok] <= 3
	})
	task := startSink(t, &taskContext{}, e.srv.URL, map[string]string{KeyAuthType: "oauth2", KeyOAuthTokenURL: ts.srv.URL,
		KeyOAuthClientID: "app", KeyOAuthClientSecret: "pw", KeyOAuthScopes: "write", KeyBatchMaxRecords: "10", KeyMaxInFlight: "1"})
	putAll(t, task, records(1, 0, 100), 100)
	waitCommittable(t, task, upTo(1, 100))
	checkInOrder(t, e.received(), 1, 100)
	if n := ts.count(); n != 2 {
		t.Errorf("%d tokens fetched, want 2 (the first, and one after the 401)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if uses["tok-1"] != 4 || uses["tok-2"] != 7 {
		t.Errorf("token uses %v, want tok-1 4 times (the 4th refused) and tok-2 7 times", uses)
	}
}

// TestTLS trusts a test server's certificate through https.ssl.ca.location.
func TestTLS(t *testing.T) {
	e := &endpoint{got: map[int][]int{}}
	e.srv = httptest.NewTLSServer(nethttp.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	task := startSink(t, &taskContext{}, e.srv.URL, map[string]string{KeyTLSCAFile: ca})
	putAll(t, task, records(1, 0, 5), 5)
	waitCommittable(t, task, upTo(1, 5))
	checkInOrder(t, e.received(), 1, 5)

	if err := (&Connector{}).Start(t.Context(), nil, map[string]string{KeyURL: e.srv.URL, KeyTLSCAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("Start with a missing CA file succeeded")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		config map[string]string
		want   string
	}{
		{map[string]string{KeyURL: "localhost:8080/x"}, "http or https URL"},
		{map[string]string{KeyURL: "http://h/${value}"}, "unknown placeholder ${value}"},
		{map[string]string{KeyURL: "http://h/${topic"}, "unclosed"},
		{map[string]string{KeyURL: "http://h/", KeyHeaders: "X-A: 1|broken"}, `header "broken"`},
		{map[string]string{KeyURL: "http://h/", KeyRetryCodes: "429,600"}, `"600"`},
		{map[string]string{KeyURL: "http://h/", KeyAuthType: "oauth2"}, KeyOAuthTokenURL + " is required"},
		{map[string]string{KeyURL: "http://h/", KeyMethod: "GET"}, KeyMethod},
	} {
		_, err := parseSettings(c.config)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.config, err, c.want)
		}
	}
}
