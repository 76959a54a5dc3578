package http

import (
	"context"
	"fmt"
	nethttp "net/http"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// authSettings are the auth.* and oauth2.* keys.
type authSettings struct {
	kind           string // none, basic, bearer, oauth2
	user, password string
	token          string
	tokenURL       string
	clientID       string
	secret         string
	scopes         []string
	inParams       bool
}

// authorizer sets a request's credentials. For OAuth2 it hands out the
// cached token of a client credentials token source, which fetches a new
// one before the old expires; invalidate, on a 401, drops the token so
// that the next request fetches a fresh one.
type authorizer struct {
	s authSettings

	mu     sync.Mutex
	cc     *clientcredentials.Config
	ctx    context.Context // carries the HTTP client token requests use
	source oauth2.TokenSource
}

// newAuthorizer returns the authorizer of s; token requests use client
// and live as long as ctx.
func newAuthorizer(ctx context.Context, s authSettings, client *nethttp.Client) *authorizer {
	a := &authorizer{s: s}
	if s.kind == "oauth2" {
		style := oauth2.AuthStyleInHeader
		if s.inParams {
			style = oauth2.AuthStyleInParams
		}
		a.cc = &clientcredentials.Config{ClientID: s.clientID, ClientSecret: s.secret, TokenURL: s.tokenURL,
			Scopes: s.scopes, AuthStyle: style}
		a.ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
		a.source = a.cc.TokenSource(a.ctx)
	}
	return a
}

// authorize sets req's credentials and returns the OAuth2 token used ("" for
// other kinds). An error getting a token is retriable like a network
// error.
func (a *authorizer) authorize(req *nethttp.Request) (string, error) {
	switch a.s.kind {
	case "basic":
		req.SetBasicAuth(a.s.user, a.s.password)
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+a.s.token)
	case "oauth2":
		a.mu.Lock()
		src := a.source
		a.mu.Unlock()
		tok, err := src.Token()
		if err != nil {
			return "", fmt.Errorf("get OAuth2 token from %s: %w", a.s.tokenURL, err)
		}
		tok.SetAuthHeader(req)
		return tok.AccessToken, nil
	}
	return "", nil
}

// oauth reports whether a 401 can be cured by a new token.
func (a *authorizer) oauth() bool { return a.s.kind == "oauth2" }

// invalidate drops token if it is still the cached one, so that the next
// request fetches another.
func (a *authorizer) invalidate(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur, err := a.source.Token(); err == nil && cur.AccessToken != token {
		return // someone already got a new one
	}
	a.source = a.cc.TokenSource(a.ctx)
}
