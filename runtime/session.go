package runtime

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"slices"
	"time"

	"conflux/configs"
)

// Headers of a signed internal request (KIP-507), Kafka Connect's.
const (
	// HeaderSignature carries the base64 HMAC of the request body.
	HeaderSignature = "X-Connect-Authorization"
	// HeaderSignatureAlgorithm names the HMAC algorithm, such as
	// HmacSHA256.
	HeaderSignatureAlgorithm = "X-Connect-Request-Signature-Algorithm"
)

// protocolSessioned is the Connect sub-protocol under which internal
// requests are signed.
const protocolSessioned = "sessioned"

// SessionConfig is how a worker signs and checks internal requests under
// the sessioned protocol: the inter.worker.* keys.
type SessionConfig struct {
	// KeyAlgorithm is the algorithm the leader generates keys for, and
	// KeyBytes their size (0: the algorithm's own).
	KeyAlgorithm string
	KeyBytes     int
	// KeyTTL is how long a key is used before the leader replaces it.
	KeyTTL time.Duration
	// SignatureAlgorithm signs this worker's requests;
	// VerificationAlgorithms are those it accepts.
	SignatureAlgorithm     string
	VerificationAlgorithms []string
}

// RequestSignature is the signature an internal request arrived with.
type RequestSignature struct {
	// Algorithm and Signature are the values of HeaderSignatureAlgorithm
	// and HeaderSignature.
	Algorithm, Signature string
	// Body is the request body as received: what was signed.
	Body []byte
}

// hmacHashes maps the Java names of the HMAC algorithms to their hashes.
var hmacHashes = map[string]func() hash.Hash{
	configs.HmacSHA1:   sha1.New,
	configs.HmacSHA256: sha256.New,
	configs.HmacSHA384: sha512.New384,
	configs.HmacSHA512: sha512.New,
}

// macOf returns the HMAC of body with key.
func macOf(key []byte, algorithm string, body []byte) ([]byte, error) {
	h, ok := hmacHashes[algorithm]
	if !ok {
		return nil, fmt.Errorf("unknown signature algorithm %q", algorithm)
	}
	mac := hmac.New(h, key)
	mac.Write(body)
	return mac.Sum(nil), nil
}

// signBody returns the base64 HMAC of body with key, Kafka Connect's
// X-Connect-Authorization value.
func signBody(key []byte, algorithm string, body []byte) (string, error) {
	sum, err := macOf(key, algorithm, body)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sum), nil
}

// sessioned reports whether the worker's current generation signs internal
// requests.
func (w *Worker) sessioned() bool {
	m := w.membership.Load()
	return m != nil && m.Protocol == protocolSessioned
}

// verifySignature checks an internal request's signature against the
// session key when the generation is sessioned, with Kafka Connect's
// answers: 400 for a missing signature or an algorithm this worker does not
// accept, 403 for a wrong signature, and 503 while no key has been written.
func (w *Worker) verifySignature(sig *RequestSignature) error {
	if !w.sessioned() {
		return nil
	}
	if sig == nil {
		return fmt.Errorf("%w: Internal request missing required signature", ErrBadRequest)
	}
	if !slices.Contains(w.cfg.Session.VerificationAlgorithms, sig.Algorithm) {
		return fmt.Errorf("%w: This worker does not support the '%s' signature algorithm used by other workers. "+
			"It accepts %v (%s); make every worker's configuration accept the same algorithms and restart the misconfigured worker.",
			ErrBadRequest, sig.Algorithm, w.cfg.Session.VerificationAlgorithms, configs.KeyInterWorkerVerificationAlgos)
	}
	key := w.configs.SessionKey()
	if key == nil {
		return fmt.Errorf("%w: the leader has not distributed a session key yet, so internal requests cannot be checked; retry shortly", ErrNotReady)
	}
	got, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil {
		return fmt.Errorf("%w: Internal request signature is not base64: %v", ErrBadRequest, err)
	}
	want, _ := macOf(key.Key, sig.Algorithm, sig.Body) // the algorithm is one of VerificationAlgorithms
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%w: Internal request contained invalid signature.", ErrForbidden)
	}
	return nil
}

// signatureHeaders returns the headers that sign body with the current
// session key, or none outside the sessioned protocol. Without a key yet it
// fails with ErrNotReady: the caller retries once the leader wrote one.
func (w *Worker) signatureHeaders(body []byte) (map[string]string, error) {
	if !w.sessioned() {
		return nil, nil
	}
	key := w.configs.SessionKey()
	if key == nil {
		return nil, fmt.Errorf("%w: no session key to sign the request with yet", ErrNotReady)
	}
	alg := w.cfg.Session.SignatureAlgorithm
	sig, err := signBody(key.Key, alg, body)
	if err != nil {
		return nil, err
	}
	return map[string]string{HeaderSignature: sig, HeaderSignatureAlgorithm: alg}, nil
}

// keyRetryDelay is how soon a leader tries again to write a session key
// after a failed write.
const keyRetryDelay = time.Second

// ensureSessionKey runs on the loop of a worker that leads a sessioned
// generation: it writes a new session key when there is none or the last
// one is older than inter.worker.key.ttl.ms, and arms the timer that
// replaces it when it expires. Other workers do nothing.
func (w *Worker) ensureSessionKey() {
	if w.closing || !w.leader.Load() || !w.sessioned() {
		if w.keyTimer != nil {
			w.keyTimer.Stop()
		}
		return
	}
	ttl := w.cfg.Session.KeyTTL
	key := w.configs.SessionKey()
	if key == nil || !time.Now().Before(key.Created.Add(ttl)) {
		fresh, err := w.newSessionKey()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), w.cfg.RebalanceTimeout)
			err = w.configs.PutSessionKey(ctx, fresh)
			cancel()
		}
		if err != nil {
			w.logger.Error("cannot write a new session key; followers' internal requests fail until one is written", "error", err)
			w.armKeyRotation(keyRetryDelay)
			return
		}
		w.logger.Info("wrote a new session key", "algorithm", fresh.Algorithm, "expires", fresh.Created.Add(ttl))
		key = &fresh
	}
	w.armKeyRotation(time.Until(key.Created.Add(ttl)))
}

// armKeyRotation has ensureSessionKey run again on the loop after d.
func (w *Worker) armKeyRotation(d time.Duration) {
	if w.keyTimer == nil {
		w.keyTimer = time.AfterFunc(d, func() { w.queue.post(w.ensureSessionKey) })
		return
	}
	w.keyTimer.Reset(d)
}

// newSessionKey generates a session key of the configured algorithm and
// size; by default as many bytes as the algorithm's hash output, as Java's
// KeyGenerator does for HmacSHA256.
func (w *Worker) newSessionKey() (configs.SessionKey, error) {
	alg := w.cfg.Session.KeyAlgorithm
	h, ok := hmacHashes[alg]
	if !ok {
		return configs.SessionKey{}, fmt.Errorf("unknown key algorithm %q", alg)
	}
	size := w.cfg.Session.KeyBytes
	if size == 0 {
		size = h().Size()
	}
	secret := make([]byte, size)
	if _, err := rand.Read(secret); err != nil {
		return configs.SessionKey{}, err
	}
	return configs.SessionKey{Key: secret, Algorithm: alg, Created: time.Now()}, nil
}
