package transforms

import "conflux/connectors"

func init() {
	registerTransform("Filter", "Drops every record it is applied to; use it with a predicate to drop some records.", nil,
		func() connectors.Transformation { return &Filter{} })
}

// Filter drops every record (Kafka's Filter). On its own it drops
// everything; with a predicate it drops the records that match.
type Filter struct{ nothingToClose }

// Configure takes no settings.
func (*Filter) Configure(map[string]string) error { return nil }

// Apply drops the record.
func (*Filter) Apply(*connectors.Record) (*connectors.Record, error) { return nil, nil }
