package configs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Setenv("CONFLUX_TEST_USER", "alice")
	t.Setenv("CONFLUX_TEST_PW", "s3cret")
	dir := t.TempDir()
	secrets := filepath.Join(dir, "db:prod.properties") // a ':' inside the path
	if err := os.WriteFile(secrets, []byte("password=hunter2\nurl = jdbc:postgresql://db/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw := map[string]string{
		"user":     "${env:CONFLUX_TEST_USER}",
		"pw":       "pre-${env:CONFLUX_TEST_PW}-post",
		"db.pw":    "${file:" + secrets + ":password}",
		"db.url":   "${file:" + secrets + ":url}",
		"plain":    "nothing to see",
		"template": "${topic}-${timestamp}",
	}
	got, err := NewResolver().Resolve(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"user": "alice", "pw": "pre-s3cret-post", "db.pw": "hunter2", "db.url": "jdbc:postgresql://db/x",
		"plain": "nothing to see", "template": "${topic}-${timestamp}",
	}
	if !reflect.DeepEqual(got.Config, want) {
		t.Fatalf("config %v", got.Config)
	}
	if !reflect.DeepEqual(got.Secrets, map[string]bool{"user": true, "pw": true, "db.pw": true, "db.url": true}) {
		t.Fatalf("secrets %v", got.Secrets)
	}
	if raw["user"] != "${env:CONFLUX_TEST_USER}" {
		t.Fatal("input modified")
	}
}

func TestResolveErrors(t *testing.T) {
	t.Setenv("CONFLUX_TEST_PW", "s3cret")
	tests := map[string]struct {
		raw  map[string]string
		want string
	}{
		"unset env": {map[string]string{"a": "${env:CONFLUX_TEST_UNSET_VAR}"},
			`could not resolve ${env:CONFLUX_TEST_UNSET_VAR} in configuration a: unresolved config provider placeholder: provider env has no value for key "CONFLUX_TEST_UNSET_VAR"`},
		"unknown provider": {map[string]string{"b": "${vault:secret/x:pw}"},
			`could not resolve ${vault:secret/x:pw} in configuration b: unresolved config provider placeholder: no config provider named "vault"`},
		"missing file": {map[string]string{"c": "${file:/nonexistent/x.properties:k}"},
			"could not resolve ${file:/nonexistent/x.properties:k} in configuration c: unresolved config provider placeholder: provider file: open /nonexistent/x.properties: no such file or directory"},
		"env with path": {map[string]string{"d": "${env:a:b}"},
			`could not resolve ${env:a:b} in configuration d: unresolved config provider placeholder: provider env: the env provider takes no path, got "a"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewResolver().Resolve(context.Background(), tt.raw)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got %v\nwant %s", err, tt.want)
			}
			var re *ResolveError
			if !errors.Is(err, ErrUnresolved) || !errors.As(err, &re) {
				t.Fatal("wrong error type")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatal("secret leaked")
			}
		})
	}
}

func TestResolveBatchesProviderCalls(t *testing.T) {
	var calls atomic.Int32
	r := NewResolver()
	r.Register("vault", ProviderFunc(func(_ context.Context, path string, keys []string) (map[string]string, error) {
		calls.Add(1)
		out := map[string]string{}
		for _, k := range keys {
			out[k] = path + "/" + k
		}
		return out, nil
	}))
	got, err := r.Resolve(context.Background(), map[string]string{
		"a": "${vault:db:user}", "b": "${vault:db:pw}", "c": "${vault:db:user}:${vault:other:k}",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Config["c"] != "db/user:other/k" || got.Config["b"] != "db/pw" {
		t.Fatalf("got %v", got.Config)
	}
	if calls.Load() != 2 {
		t.Fatalf("provider called %d times, want 2 (one per path)", calls.Load())
	}
}

func TestBuiltinProvider(t *testing.T) {
	for _, name := range []string{"env", "EnvVarConfigProvider", "org.apache.kafka.common.config.provider.FileConfigProvider", "file"} {
		if _, ok := BuiltinProvider(name); !ok {
			t.Errorf("%s not found", name)
		}
	}
	if _, ok := BuiltinProvider("DirectoryConfigProvider"); ok {
		t.Error("unexpected provider")
	}
}
