package broker

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"

	"conflux/broker/log"
)

// maxTopicNameLength is Kafka's limit on topic names.
const maxTopicNameLength = 249

// topic is an immutable snapshot of one topic. Changes (new partitions, new
// configs) replace the snapshot in the registry; the partition logs are shared.
type topic struct {
	name       string
	id         [16]byte
	configs    map[string]string // dynamic overrides only
	partitions []*log.Log
}

// topicRecord is a topic's metadata as persisted in meta/topics/<name>.json.
type topicRecord struct {
	Name       string            `json:"name"`
	ID         string            `json:"id"`
	Partitions int32             `json:"partitions"`
	Configs    map[string]string `json:"configs,omitempty"`
}

// topicRegistry owns every topic and its partition logs, and persists topic
// metadata in the data directory so it survives restarts.
type topicRegistry struct {
	dataDir  string
	metaDir  string
	defaults map[string]string
	logger   *slog.Logger

	mu     sync.RWMutex
	topics map[string]*topic
}

// openTopicRegistry loads every topic recorded in dataDir and opens its
// partition logs.
func openTopicRegistry(dataDir string, defaults map[string]string, logger *slog.Logger) (*topicRegistry, error) {
	r := &topicRegistry{
		dataDir:  dataDir,
		metaDir:  filepath.Join(dataDir, "meta", "topics"),
		defaults: defaults,
		logger:   logger,
		topics:   map[string]*topic{},
	}
	if err := os.MkdirAll(r.metaDir, 0o755); err != nil {
		return nil, fmt.Errorf("create metadata directory: %w", err)
	}
	r.removeDeletedDirs()
	entries, err := os.ReadDir(r.metaDir)
	if err != nil {
		return nil, fmt.Errorf("read metadata directory: %w", err)
	}
	var records []topicRecord
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.metaDir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read topic metadata %s: %w", e.Name(), err)
		}
		var rec topicRecord
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, fmt.Errorf("topic metadata %s is corrupt: %w", e.Name(), err)
		}
		records = append(records, rec)
	}
	if err := r.openAll(records); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// openAll opens the partition logs of records in parallel: recovery of one
// partition reads at most its last segment, so the work is I/O-bound.
func (r *topicRegistry) openAll(records []topicRecord) error {
	type job struct {
		t *topic
		p int
	}
	var jobs []job
	for _, rec := range records {
		id, err := parseTopicID(rec.ID)
		if err != nil {
			return fmt.Errorf("topic %s: %w", rec.Name, err)
		}
		t := &topic{name: rec.Name, id: id, configs: rec.Configs, partitions: make([]*log.Log, rec.Partitions)}
		if t.configs == nil {
			t.configs = map[string]string{}
		}
		r.topics[rec.Name] = t
		for p := range t.partitions {
			jobs = append(jobs, job{t, p})
		}
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan job)
	)
	for range 4 {
		wg.Go(func() {
			for j := range next {
				l, err := r.openPartition(j.t.name, j.p, j.t.configs)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				j.t.partitions[j.p] = l
				mu.Unlock()
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return firstErr
}

func (r *topicRegistry) openPartition(name string, p int, configs map[string]string) (*log.Log, error) {
	dir := filepath.Join(r.dataDir, name+"-"+strconv.Itoa(p))
	l, err := log.Open(dir, logConfig(configs, r.defaults), log.Options{Logger: r.logger.With("topic", name, "partition", p)})
	if err != nil {
		return nil, fmt.Errorf("open partition %s-%d: %w", name, p, err)
	}
	return l, nil
}

// get returns the current snapshot of a topic, or nil.
func (r *topicRegistry) get(name string) *topic {
	r.mu.RLock()
	t := r.topics[name]
	r.mu.RUnlock()
	return t
}

// partition returns one partition's log, or nil if the topic or partition does
// not exist.
func (r *topicRegistry) partition(name string, p int32) *log.Log {
	t := r.get(name)
	if t == nil || p < 0 || int(p) >= len(t.partitions) {
		return nil
	}
	return t.partitions[p]
}

// byID returns the topic with the given id, or nil.
func (r *topicRegistry) byID(id [16]byte) *topic {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, t := range r.topics {
		if t.id == id {
			return t
		}
	}
	return nil
}

// list returns a snapshot of every topic, sorted by name.
func (r *topicRegistry) list() []*topic {
	r.mu.RLock()
	out := slices.Collect(maps.Values(r.topics))
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b *topic) int { return strings.Compare(a.name, b.name) })
	return out
}

// topicError is a Kafka error code with a message for the user.
type topicError struct {
	err     *kerr.Error
	message string
}

func (e *topicError) Error() string { return e.message }

func newTopicError(err *kerr.Error, format string, args ...any) *topicError {
	return &topicError{err: err, message: fmt.Sprintf(format, args...)}
}

// kafkaError returns the Kafka error code and message for err.
func kafkaError(err error) (int16, *string) {
	if err == nil {
		return 0, nil
	}
	var te *topicError
	if errors.As(err, &te) {
		msg := te.message
		return te.err.Code, &msg
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code, nil
	}
	msg := err.Error()
	return kerr.UnknownServerError.Code, &msg
}

// validateTopicName applies Kafka's topic naming rules.
func validateTopicName(name string) error {
	switch {
	case name == "":
		return newTopicError(kerr.InvalidTopicException, "Topic name is illegal, it can't be empty")
	case name == "." || name == "..":
		return newTopicError(kerr.InvalidTopicException, "Topic name cannot be \".\" or \"..\"")
	case len(name) > maxTopicNameLength:
		return newTopicError(kerr.InvalidTopicException, "Topic name is illegal, it can't be longer than %d characters, topic name: %s", maxTopicNameLength, name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return newTopicError(kerr.InvalidTopicException, "Topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", name)
		}
	}
	return nil
}

// collisionName maps '.' to '_': Kafka refuses topics whose names differ only
// there, because metric names would collide.
func collisionName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// createSpec describes a topic to create.
type createSpec struct {
	name       string
	partitions int32
	configs    map[string]string
}

// validateCreate checks a creation request without changing anything.
func (r *topicRegistry) validateCreate(spec createSpec) error {
	if err := validateTopicName(spec.name); err != nil {
		return err
	}
	if spec.partitions < 1 {
		return newTopicError(kerr.InvalidPartitions, "Number of partitions must be larger than 0, got %d", spec.partitions)
	}
	if err := validateTopicConfigs(spec.configs); err != nil {
		return newTopicError(kerr.InvalidConfig, "%v", err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.checkNameFreeLocked(spec.name)
}

func (r *topicRegistry) checkNameFreeLocked(name string) error {
	if _, exists := r.topics[name]; exists {
		return newTopicError(kerr.TopicAlreadyExists, "Topic '%s' already exists.", name)
	}
	c := collisionName(name)
	for existing := range r.topics {
		if collisionName(existing) == c {
			return newTopicError(kerr.InvalidTopicException, "Topic '%s' collides with existing topic: %s", name, existing)
		}
	}
	return nil
}

// create makes a new topic, persisting its metadata before it becomes visible.
func (r *topicRegistry) create(spec createSpec) (*topic, error) {
	if err := r.validateCreate(spec); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkNameFreeLocked(spec.name); err != nil {
		return nil, err
	}
	t := &topic{name: spec.name, configs: maps.Clone(spec.configs), partitions: make([]*log.Log, spec.partitions)}
	if t.configs == nil {
		t.configs = map[string]string{}
	}
	if _, err := rand.Read(t.id[:]); err != nil {
		return nil, err
	}
	for p := range t.partitions {
		l, err := r.openPartition(t.name, p, t.configs)
		if err != nil {
			for _, opened := range t.partitions[:p] {
				opened.Delete()
			}
			return nil, err
		}
		t.partitions[p] = l
	}
	if err := r.persist(t); err != nil {
		for _, l := range t.partitions {
			l.Delete()
		}
		return nil, err
	}
	r.topics[t.name] = t
	r.logger.Info("created topic", "topic", t.name, "partitions", len(t.partitions), "configs", t.configs)
	return t, nil
}

// getOrCreate returns a topic, creating it with broker defaults if autoCreate
// is set and it does not exist. It returns nil, nil if the topic is missing
// and may not be created.
func (r *topicRegistry) getOrCreate(name string, autoCreate bool, partitions int32) (*topic, error) {
	if t := r.get(name); t != nil || !autoCreate {
		return t, nil
	}
	t, err := r.create(createSpec{name: name, partitions: partitions})
	var te *topicError
	if errors.As(err, &te) && te.err == kerr.TopicAlreadyExists {
		return r.get(name), nil
	}
	return t, err
}

// delete removes a topic and its data.
func (r *topicRegistry) delete(name string) error {
	r.mu.Lock()
	t, ok := r.topics[name]
	if !ok {
		r.mu.Unlock()
		return kerr.UnknownTopicOrPartition
	}
	if err := os.Remove(filepath.Join(r.metaDir, name+".json")); err != nil && !os.IsNotExist(err) {
		r.mu.Unlock()
		return fmt.Errorf("remove topic metadata: %w", err)
	}
	delete(r.topics, name)
	r.mu.Unlock()
	for _, l := range t.partitions {
		if err := l.Delete(); err != nil {
			r.logger.Warn("could not remove partition data", "topic", name, "error", err)
		}
	}
	r.logger.Info("deleted topic", "topic", name)
	return nil
}

// addPartitions grows a topic to count partitions.
func (r *topicRegistry) addPartitions(name string, count int32, validateOnly bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.topics[name]
	if !ok {
		return newTopicError(kerr.UnknownTopicOrPartition, "Topic '%s' does not exist.", name)
	}
	if int(count) <= len(t.partitions) {
		return newTopicError(kerr.InvalidPartitions, "Topic currently has %d partitions, which is higher than the requested %d.", len(t.partitions), count)
	}
	if validateOnly {
		return nil
	}
	next := *t
	next.partitions = slices.Clone(t.partitions)
	for p := len(t.partitions); p < int(count); p++ {
		l, err := r.openPartition(name, p, t.configs)
		if err != nil {
			return err
		}
		next.partitions = append(next.partitions, l)
	}
	if err := r.persist(&next); err != nil {
		return err
	}
	r.topics[name] = &next
	return nil
}

// setConfigs replaces a topic's config overrides.
func (r *topicRegistry) setConfigs(name string, configs map[string]string) error {
	if err := validateTopicConfigs(configs); err != nil {
		return newTopicError(kerr.InvalidConfig, "%v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.topics[name]
	if !ok {
		return newTopicError(kerr.UnknownTopicOrPartition, "Topic '%s' does not exist.", name)
	}
	next := *t
	next.configs = maps.Clone(configs)
	if err := r.persist(&next); err != nil {
		return err
	}
	r.topics[name] = &next
	cfg := logConfig(next.configs, r.defaults)
	for _, l := range next.partitions {
		l.SetConfig(cfg)
	}
	return nil
}

// persist writes a topic's metadata atomically (temp file, fsync, rename).
func (r *topicRegistry) persist(t *topic) error {
	rec := topicRecord{Name: t.name, ID: formatTopicID(t.id), Partitions: int32(len(t.partitions)), Configs: t.configs}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(r.metaDir, t.name+".json"), data)
}

// removeDeletedDirs finishes deletions interrupted by a crash.
func (r *topicRegistry) removeDeletedDirs() {
	entries, _ := os.ReadDir(r.dataDir)
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), "-delete") {
			os.RemoveAll(filepath.Join(r.dataDir, e.Name()))
		}
	}
}

// close closes every partition log (a clean shutdown).
func (r *topicRegistry) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, t := range r.topics {
		for _, l := range t.partitions {
			if l != nil {
				errs = append(errs, l.Close())
			}
		}
	}
	return errors.Join(errs...)
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

func formatTopicID(id [16]byte) string { return hex.EncodeToString(id[:]) }

func parseTopicID(s string) ([16]byte, error) {
	var id [16]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("topic id %q is not 32 hex digits", s)
	}
	copy(id[:], b)
	return id, nil
}
