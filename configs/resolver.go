package configs

import (
	"context"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Provider supplies values for config placeholders (Kafka's ConfigProvider,
// KIP-297). Get returns the values of keys found under path; keys it does
// not know are simply absent from the result. Implementations must be safe
// for concurrent use and should honour ctx when they do I/O.
type Provider interface {
	Get(ctx context.Context, path string, keys []string) (map[string]string, error)
}

// ProviderFunc adapts a function to a [Provider].
type ProviderFunc func(ctx context.Context, path string, keys []string) (map[string]string, error)

// Get calls f.
func (f ProviderFunc) Get(ctx context.Context, path string, keys []string) (map[string]string, error) {
	return f(ctx, path, keys)
}

// EnvProvider returns the provider of ${env:VAR} placeholders (Kafka's
// EnvVarConfigProvider): each key is an environment variable. It does not
// take a path.
func EnvProvider() Provider {
	return ProviderFunc(func(_ context.Context, path string, keys []string) (map[string]string, error) {
		if path != "" {
			return nil, fmt.Errorf("the env provider takes no path, got %q", path)
		}
		out := make(map[string]string, len(keys))
		for _, k := range keys {
			if v, ok := os.LookupEnv(k); ok {
				out[k] = v
			}
		}
		return out, nil
	})
}

// FileProvider returns the provider of ${file:path:key} placeholders
// (Kafka's FileConfigProvider): path is a .properties file, read with
// [ParseProperties] on every call, and key one of its keys.
func FileProvider() Provider {
	return ProviderFunc(func(_ context.Context, path string, keys []string) (map[string]string, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		props, err := ParseProperties(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out := make(map[string]string, len(keys))
		for _, k := range keys {
			if v, ok := props[k]; ok {
				out[k] = v
			}
		}
		return out, nil
	})
}

// BuiltinProvider returns a built-in provider by its alias or Kafka class
// name, for a worker's config.providers.<alias>.class setting: "env",
// "EnvVarConfigProvider" or "org.apache.kafka.common.config.provider.
// EnvVarConfigProvider", and likewise "file"/"FileConfigProvider".
func BuiltinProvider(nameOrClass string) (Provider, bool) {
	switch strings.TrimPrefix(nameOrClass, "org.apache.kafka.common.config.provider.") {
	case "env", "EnvVarConfigProvider":
		return EnvProvider(), true
	case "file", "FileConfigProvider":
		return FileProvider(), true
	}
	return nil, false
}

// placeholder matches ${provider:[path:]key}. The path may contain ':'; the
// key is what follows the last ':'.
var placeholder = regexp.MustCompile(`\$\{([^}:]*):([^}]*)\}`)

// HasPlaceholder reports whether a config value contains a config-provider
// placeholder, which makes it a secret once resolved.
func HasPlaceholder(value string) bool { return placeholder.MatchString(value) }

// OnlyPlaceholders reports whether a value consists of placeholders and
// nothing else but blanks: such a value, as stored, holds no secret.
func OnlyPlaceholders(value string) bool {
	return HasPlaceholder(value) && strings.TrimSpace(placeholder.ReplaceAllString(value, "")) == ""
}

// Resolver replaces config-provider placeholders in configuration values.
// [NewResolver] registers "env" and "file"; [Resolver.Register] adds more.
// Register must not be called concurrently with Resolve; Resolve may be
// called concurrently with itself.
type Resolver struct {
	mu        sync.RWMutex
	providers map[string]Provider
}

// NewResolver returns a resolver with the built-in "env" and "file"
// providers.
func NewResolver() *Resolver {
	return &Resolver{providers: map[string]Provider{"env": EnvProvider(), "file": FileProvider()}}
}

// Register makes p answer placeholders ${alias:…}, replacing any provider
// registered under alias.
func (r *Resolver) Register(alias string, p Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.providers == nil {
		r.providers = make(map[string]Provider)
	}
	r.providers[alias] = p
}

// Resolved is a configuration with its placeholders replaced.
type Resolved struct {
	// Config holds every key of the input, with placeholders substituted.
	Config map[string]string
	// Secrets holds the keys whose value contained at least one
	// placeholder. Their values must never be returned by REST or logged;
	// pass them to Parse and Validate with WithSecrets.
	Secrets map[string]bool
}

// ref is one placeholder occurrence.
type ref struct {
	provider, path, key string
}

// Resolve replaces every ${provider:[path:]key} placeholder in the values of
// raw. Each provider is asked once per path for all the keys it must supply.
// A placeholder whose provider is not registered, whose provider fails, or
// whose key has no value is an error: a [*ResolveError] naming the key and
// the placeholder (never a resolved value) and wrapping ErrUnresolved. raw is
// not modified.
func (r *Resolver) Resolve(ctx context.Context, raw map[string]string) (Resolved, error) {
	out := Resolved{Config: make(map[string]string, len(raw)), Secrets: make(map[string]bool)}
	keys := slices.Sorted(maps.Keys(raw))
	type source struct{ provider, path string }
	wanted := make(map[source][]string)
	firstUse := make(map[source]string) // config key of the first use, for errors
	firstText := make(map[source]string)
	for _, k := range keys {
		for _, m := range placeholder.FindAllStringSubmatch(raw[k], -1) {
			rf := parseRef(m)
			src := source{rf.provider, rf.path}
			if !slices.Contains(wanted[src], rf.key) {
				wanted[src] = append(wanted[src], rf.key)
			}
			if _, ok := firstUse[src]; !ok {
				firstUse[src], firstText[src] = k, m[0]
			}
		}
	}
	values := make(map[ref]string)
	srcs := slices.SortedFunc(maps.Keys(wanted), func(a, b source) int {
		return strings.Compare(a.provider+"\x00"+a.path, b.provider+"\x00"+b.path)
	})
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, src := range srcs {
		p, ok := r.providers[src.provider]
		if !ok {
			return Resolved{}, &ResolveError{Key: firstUse[src], Placeholder: firstText[src],
				Err: fmt.Errorf("%w: no config provider named %q", ErrUnresolved, src.provider)}
		}
		got, err := p.Get(ctx, src.path, wanted[src])
		if err != nil {
			return Resolved{}, &ResolveError{Key: firstUse[src], Placeholder: firstText[src],
				Err: fmt.Errorf("%w: provider %s: %w", ErrUnresolved, src.provider, err)}
		}
		for _, key := range wanted[src] {
			if v, ok := got[key]; ok {
				values[ref{src.provider, src.path, key}] = v
			}
		}
	}
	for _, k := range keys {
		v := raw[k]
		var missing error
		resolved := placeholder.ReplaceAllStringFunc(v, func(text string) string {
			rf := parseRef(placeholder.FindStringSubmatch(text))
			val, ok := values[rf]
			if !ok && missing == nil {
				missing = &ResolveError{Key: k, Placeholder: text,
					Err: fmt.Errorf("%w: provider %s has no value for key %q", ErrUnresolved, rf.provider, rf.key)}
			}
			return val
		})
		if missing != nil {
			return Resolved{}, missing
		}
		if resolved != v || placeholder.MatchString(v) {
			out.Secrets[k] = true
		}
		out.Config[k] = resolved
	}
	return out, nil
}

// parseRef splits a placeholder match into provider, path and key.
func parseRef(m []string) ref {
	rf := ref{provider: m[1], key: m[2]}
	if i := strings.LastIndexByte(m[2], ':'); i >= 0 {
		rf.path, rf.key = m[2][:i], m[2][i+1:]
	}
	return rf
}
