package filetail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"conflux/configs"
	"conflux/connectors"
)

// Version is the connector's version.
const Version = "1.0.0"

func init() {
	connectors.Register(connectors.Plugin{
		Name:      "filetail",
		Aliases:   []string{"conflux.connectors.filetail.FileTailSourceConnector"},
		Type:      connectors.PluginSource,
		Version:   Version,
		Summary:   "Tails log files matched by globs into a topic, following rotation, truncation and new files.",
		ConfigDef: configDef,
		New:       func() any { return &Connector{} },
	})
}

// Connector is the filetail source connector. It runs one task, which
// tails every matching file: reading is bound by the disk, not the CPU,
// and one task keeps a file's identity in one place.
type Connector struct {
	config map[string]string
}

// Start implements connectors.SourceConnector.
func (c *Connector) Start(_ context.Context, _ connectors.ConnectorContext, config map[string]string) error {
	s, err := parseSettings(config)
	if err != nil {
		return fmt.Errorf("filetail: %w", err)
	}
	if err := checkLiterals(s); err != nil {
		return err
	}
	c.config = config
	return nil
}

// ValidateConfig implements connectors.ConfigValidator: a path without
// wildcards that names a directory is an error of paths.
func (c *Connector) ValidateConfig(_ context.Context, config map[string]string) []*configs.Error {
	s, err := parseSettings(config)
	if err != nil {
		return nil // the ConfigDef checks report it
	}
	if err := checkLiterals(s); err != nil {
		return []*configs.Error{configs.Invalid(KeyPaths, config[KeyPaths], err.Error())}
	}
	return nil
}

func checkLiterals(s *settings) error {
	var errs []error
	for _, g := range s.paths {
		if !g.literal() {
			continue
		}
		p := filepath.Join(g.base, g.segs[0])
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			errs = append(errs, fmt.Errorf("%w: %s (use a pattern such as %s/*.log)", ErrDirectory, p, p))
		}
	}
	return errors.Join(errs...)
}

// TaskConfigs implements connectors.SourceConnector: always one task.
func (c *Connector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{c.config}, nil
}

// Stop implements connectors.SourceConnector.
func (c *Connector) Stop() error { return nil }

// NewTask implements connectors.SourceConnector.
func (c *Connector) NewTask() connectors.SourceTask { return &Task{} }
