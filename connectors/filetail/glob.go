package filetail

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// glob is a compiled path pattern: path.Match syntax per path segment,
// plus "**" as a whole segment matching any number of directories,
// zero included.
type glob struct {
	raw  string
	base string   // the leading directories without wildcards; the walk starts here
	segs []string // the pattern's segments after base
	deep bool     // some segment is "**": no depth limit
}

// compileGlob parses a pattern; a relative pattern is made absolute
// against the working directory.
func compileGlob(pattern string) (*glob, error) {
	abs, err := filepath.Abs(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	abs = filepath.ToSlash(abs)
	parts := strings.Split(strings.TrimPrefix(abs, "/"), "/")
	g := &glob{raw: pattern}
	i := 0
	for ; i < len(parts)-1 && !hasMeta(parts[i]); i++ {
	}
	g.base = "/" + strings.Join(parts[:i], "/")
	g.segs = parts[i:]
	for _, s := range g.segs {
		if s == "**" {
			g.deep = true
			continue
		}
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
	}
	return g, nil
}

// literal reports whether the pattern names one path, without wildcards.
func (g *glob) literal() bool { return len(g.segs) == 1 && !hasMeta(g.segs[0]) }

// maxDepth is how many directories below base a match can be, or -1
// for no limit.
func (g *glob) maxDepth() int {
	if g.deep {
		return -1
	}
	return len(g.segs) - 1
}

// match reports whether the absolute, slash-separated path p matches.
func (g *glob) match(p string) bool {
	rel, ok := strings.CutPrefix(p, g.base)
	if !ok {
		return false
	}
	rel = strings.TrimPrefix(rel, "/")
	if rel == "" {
		return false
	}
	return matchSegs(g.segs, strings.Split(rel, "/"))
}

// matchSegs matches path segments against pattern segments, "**"
// standing for zero or more of them.
func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for skip := 0; skip <= len(name); skip++ {
				if matchSegs(pat[1:], name[skip:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// excluder matches the exclude patterns: one with a slash against the
// whole path, one without against the file's base name.
type excluder struct {
	paths []*glob
	names []string
}

func compileExcludes(patterns []string) (*excluder, error) {
	ex := &excluder{}
	for _, p := range patterns {
		if !strings.Contains(p, "/") {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("exclude pattern %q: %w", p, err)
			}
			ex.names = append(ex.names, p)
			continue
		}
		g, err := compileGlob(p)
		if err != nil {
			return nil, err
		}
		ex.paths = append(ex.paths, g)
	}
	return ex, nil
}

func (ex *excluder) excluded(p string) bool {
	name := path.Base(p)
	for _, n := range ex.names {
		if ok, _ := path.Match(n, name); ok {
			return true
		}
	}
	for _, g := range ex.paths {
		if g.match(p) {
			return true
		}
	}
	return false
}
