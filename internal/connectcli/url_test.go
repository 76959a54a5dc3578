package connectcli

import (
	"errors"
	"testing"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8083", "http://127.0.0.1:8083"},
		{"localhost:8083", "http://localhost:8083"},
		{" connect.example.com:443 ", "http://connect.example.com:443"},
		{"https://connect.example.com/", "https://connect.example.com"},
		{"https://proxy.example.com/kafka-connect//", "https://proxy.example.com/kafka-connect"},
		{":8083", "http://127.0.0.1:8083"},
		{"[::1]:8083", "http://[::1]:8083"},
	}
	for _, tt := range tests {
		u, err := ParseBaseURL(tt.in)
		if err != nil || u.String() != tt.want {
			t.Errorf("ParseBaseURL(%q) = %v, %v; want %q", tt.in, u, err, tt.want)
		}
	}
	for _, bad := range []string{"", "  ", "ftp://host:21", "http://", "http://u:p@host:8083", "http://host:8083/?x=1", "http://host/#frag", "http://host:port"} {
		if u, err := ParseBaseURL(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseBaseURL(%q) = %v, %v; want ErrInvalidArgument", bad, u, err)
		}
	}
}

func TestDefaultBaseURL(t *testing.T) {
	t.Setenv(EnvURL, "")
	if got := DefaultBaseURL(); got != DefaultURL {
		t.Errorf("unset: %q, want %q", got, DefaultURL)
	}
	t.Setenv(EnvURL, "connect:8083")
	if got := DefaultBaseURL(); got != "connect:8083" {
		t.Errorf("set: %q", got)
	}
}
