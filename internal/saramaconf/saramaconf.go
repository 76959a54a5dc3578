// Package saramaconf derives the sarama client settings of Conflux's Kafka
// clients from the one base configuration a caller supplies, so that every
// client speaks the same protocol version with the same TLS, SASL and
// timeouts.
package saramaconf

import (
	"time"

	"github.com/IBM/sarama"
)

// DefaultVersion is the Kafka protocol version Conflux's clients speak when
// the caller gives no configuration: old enough for every Kafka still in
// use, new enough for record headers, idempotence and the group APIs.
var DefaultVersion = sarama.V2_8_0_0

// New returns sarama's defaults with DefaultVersion and Conflux's timeouts.
func New() *sarama.Config {
	sc := sarama.NewConfig()
	sc.Version = DefaultVersion
	sc.Net.DialTimeout = 10 * time.Second
	sc.Admin.Timeout = 30 * time.Second
	return sc
}

// Derive returns a copy of base (New() when base is nil) for a client with
// the given client.id. Topics are never created as a side effect of a
// metadata request: Conflux creates its topics explicitly.
func Derive(base *sarama.Config, clientID string) *sarama.Config {
	var sc *sarama.Config
	if base != nil {
		cp := *base
		sc = &cp
	} else {
		sc = New()
	}
	sc.ClientID = clientID
	sc.Metadata.AllowAutoTopicCreation = false
	return sc
}
