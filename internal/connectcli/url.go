package connectcli

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// DefaultURL is the REST API of a worker on this host with Kafka Connect's
// default listener, where `conflux standalone` listens too.
const DefaultURL = "http://127.0.0.1:8083"

// EnvURL names the environment variable that, when set, replaces
// DefaultURL as the default of --rest.
const EnvURL = "CONFLUX_REST"

// DefaultBaseURL returns the REST URL to use when --rest is not given:
// $CONFLUX_REST if set and not blank, else DefaultURL.
func DefaultBaseURL() string {
	if v := strings.TrimSpace(os.Getenv(EnvURL)); v != "" {
		return v
	}
	return DefaultURL
}

// ParseBaseURL parses the address of a worker's REST API: a URL with
// scheme http or https and optionally a path prefix (for a worker behind a
// reverse proxy), or host:port without scheme, which means http. An empty
// host means 127.0.0.1. The result has no trailing slash.
func ParseBaseURL(s string) (*url.URL, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return nil, fmt.Errorf("%w: empty REST URL", ErrInvalidArgument)
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: REST URL %q: %v", ErrInvalidArgument, s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: REST URL %q: scheme must be http or https", ErrInvalidArgument, s)
	case u.User != nil, u.RawQuery != "", u.Fragment != "":
		return nil, fmt.Errorf("%w: REST URL %q: want scheme://host:port[/prefix], without user, query or fragment", ErrInvalidArgument, s)
	case u.Host == "":
		return nil, fmt.Errorf("%w: REST URL %q has no host", ErrInvalidArgument, s)
	}
	if u.Hostname() == "" {
		u.Host = "127.0.0.1" + u.Host // ":8083"
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}
