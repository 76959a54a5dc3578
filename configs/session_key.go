package configs

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"conflux/internal/kafkalog"
)

// SessionKey is the key the cluster's workers sign their internal requests
// with (KIP-507): the leader generates it, writes it to the config topic as
// the session-key record and replaces it when it is older than
// inter.worker.key.ttl.ms.
type SessionKey struct {
	// Key is the secret, and Algorithm the name of the algorithm it was
	// generated for (HmacSHA256 by default).
	Key       []byte
	Algorithm string
	// Created is when the leader generated it.
	Created time.Time
}

// applySessionKey reads a session-key record: {"key": base64, "algorithm",
// "creation-timestamp": ms}, Kafka Connect's format.
func (s *configState) applySessionKey(key string, tombstone bool, body map[string]any) (*Change, error) {
	if tombstone {
		s.sessionKey = nil
		return &Change{Kind: ChangeSessionKey}, nil
	}
	encoded, ok1 := body["key"].(string)
	algorithm, ok2 := body["algorithm"].(string)
	created, ok3 := body["creation-timestamp"].(int64)
	if !ok1 || !ok2 || !ok3 || algorithm == "" {
		return nil, ignored(key, "want {\"key\": base64, \"algorithm\": name, \"creation-timestamp\": ms}, got %v", body)
	}
	secret, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(secret) == 0 {
		return nil, ignored(key, "key is not base64: %v", err)
	}
	s.sessionKey = &SessionKey{Key: secret, Algorithm: algorithm, Created: time.UnixMilli(created)}
	return &Change{Kind: ChangeSessionKey}, nil
}

// SessionKey returns the session key last read from the topic, or nil when
// none was written yet.
func (s *Store) SessionKey() *SessionKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.state.sessionKey == nil {
		return nil
	}
	k := *s.state.sessionKey
	return &k
}

// PutSessionKey writes a new session key; only the leader does.
func (s *Store) PutSessionKey(ctx context.Context, key SessionKey) error {
	if len(key.Key) == 0 || key.Algorithm == "" {
		return fmt.Errorf("%w: a session key needs a secret and an algorithm", ErrInvalidStoreWrite)
	}
	value, err := encodeStoreJSON(struct {
		Key       string `json:"key"`
		Algorithm string `json:"algorithm"`
		Created   int64  `json:"creation-timestamp"`
	}{base64.StdEncoding.EncodeToString(key.Key), key.Algorithm, key.Created.UnixMilli()})
	if err != nil {
		return fmt.Errorf("%w: session key: %v", ErrInvalidStoreWrite, err)
	}
	return s.write(ctx, kafkalog.Message{Key: []byte(keySessionKey), Value: value})
}
