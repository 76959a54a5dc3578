package ui

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/IBM/sarama"

	"conflux/internal/console"
	"conflux/runtime/rest"
)

// Limits of the records endpoint.
const (
	defaultPeek = 20
	maxPeek     = 200
	// maxShown is how much of a key or value the page receives; the rest
	// is cut, and its full size given.
	maxShown = 16 << 10
)

// topicView is one topic of GET /ui/api/topics.
type topicView struct {
	Name       string            `json:"name"`
	Internal   bool              `json:"internal"`
	Partitions []partitionView   `json:"partitions"`
	Configs    map[string]string `json:"configs"`
	ConfigErr  string            `json:"config_error,omitempty"`
}

// partitionView is one partition: its leader and replicas, and its log
// start and end offsets (-1 when unknown).
type partitionView struct {
	Partition int32   `json:"partition"`
	Leader    int32   `json:"leader"`
	Replicas  []int32 `json:"replicas"`
	ISR       []int32 `json:"isr"`
	Start     int64   `json:"start"`
	End       int64   `json:"end"`
	Error     string  `json:"error,omitempty"`
}

// shownConfigs are the topic configs the page always shows; topic-level
// overrides are shown too.
var shownConfigs = map[string]bool{"cleanup.policy": true, "retention.ms": true}

// topics answers GET /ui/api/topics: every topic with its partitions,
// offsets and notable configs, through the Kafka protocol.
func (c *Console) topics(w http.ResponseWriter, _ *http.Request) {
	var descs []console.TopicDescription
	err := c.withAdmin(func(a *console.TopicAdmin) (err error) {
		descs, err = a.Describe(nil)
		return err
	})
	if err != nil {
		rest.WriteError(w, http.StatusBadGateway, "Cannot describe the topics: "+err.Error())
		return
	}
	out := make([]topicView, 0, len(descs))
	for _, d := range descs {
		tv := topicView{Name: d.Name, Internal: d.Internal, Partitions: make([]partitionView, 0, len(d.Partitions)), Configs: map[string]string{}}
		for _, p := range d.Partitions {
			pv := partitionView{Partition: p.ID, Leader: p.Leader, Replicas: nonNil(p.Replicas), ISR: nonNil(p.ISR),
				Start: p.LogStartOffset, End: p.LogEndOffset}
			if p.Err != nil {
				pv.Error = p.Err.Error()
			}
			tv.Partitions = append(tv.Partitions, pv)
		}
		for _, cfg := range d.Configs {
			if shownConfigs[cfg.Name] || cfg.Override() && !cfg.Sensitive {
				tv.Configs[cfg.Name] = cfg.Value
			}
		}
		if d.ConfigErr != nil {
			tv.ConfigErr = d.ConfigErr.Error()
		}
		out = append(out, tv)
	}
	rest.WriteJSON(w, http.StatusOK, out)
}

// recordsView is the body of the records endpoint.
type recordsView struct {
	Topic     string       `json:"topic"`
	Partition int32        `json:"partition"`
	Records   []recordView `json:"records"`
	// Incomplete says the read stopped before the end offset.
	Incomplete bool `json:"incomplete,omitempty"`
}

// recordView is one record. Keys and values are text when they are valid
// UTF-8, else base64 (encoding "base64"); null stays null.
type recordView struct {
	Offset    int64        `json:"offset"`
	Timestamp int64        `json:"timestamp"`
	Key       *payloadView `json:"key"`
	Value     *payloadView `json:"value"`
	Headers   []headerView `json:"headers"`
}

// payloadView is a key, value or header value.
type payloadView struct {
	Data      string `json:"data"`
	Encoding  string `json:"encoding"`
	Size      int    `json:"size"`
	Truncated bool   `json:"truncated,omitempty"`
}

type headerView struct {
	Key   string       `json:"key"`
	Value *payloadView `json:"value"`
}

// records answers GET /ui/api/topics/{topic}/partitions/{partition}/records?limit=N:
// the last N records of the partition (20 by default, at most 200).
func (c *Console) records(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	p, err := strconv.ParseInt(r.PathValue("partition"), 10, 32)
	if err != nil || p < 0 {
		rest.WriteError(w, http.StatusBadRequest, "The partition must be a number of 0 or more, not "+strconv.Quote(r.PathValue("partition")))
		return
	}
	limit := defaultPeek
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPeek {
			rest.WriteError(w, http.StatusBadRequest, "limit must be a number from 1 to "+strconv.Itoa(maxPeek)+", not "+strconv.Quote(s))
			return
		}
		limit = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), c.peekWait)
	defer cancel()
	var msgs []*sarama.ConsumerMessage
	err = c.withAdmin(func(a *console.TopicAdmin) (err error) {
		msgs, err = a.Tail(ctx, topic, int32(p), limit)
		if errors.Is(err, context.DeadlineExceeded) {
			return nil // show what came in time
		}
		return err
	})
	switch {
	case errors.Is(err, sarama.ErrUnknownTopicOrPartition):
		rest.WriteError(w, http.StatusNotFound, "No partition "+strconv.FormatInt(p, 10)+" in topic "+topic)
		return
	case err != nil:
		rest.WriteError(w, http.StatusBadGateway, "Cannot read "+topic+"-"+strconv.FormatInt(p, 10)+": "+err.Error())
		return
	}
	out := recordsView{Topic: topic, Partition: int32(p), Records: make([]recordView, 0, len(msgs)), Incomplete: ctx.Err() != nil}
	for _, m := range msgs {
		rv := recordView{Offset: m.Offset, Timestamp: m.Timestamp.UnixMilli(), Key: payload(m.Key), Value: payload(m.Value),
			Headers: make([]headerView, 0, len(m.Headers))}
		if m.Timestamp.IsZero() {
			rv.Timestamp = -1
		}
		for _, h := range m.Headers {
			rv.Headers = append(rv.Headers, headerView{Key: string(h.Key), Value: payload(h.Value)})
		}
		out.Records = append(out.Records, rv)
	}
	rest.WriteJSON(w, http.StatusOK, out)
}

// payload shows b: nil for null, text when it is UTF-8, else base64; cut
// at maxShown bytes.
func payload(b []byte) *payloadView {
	if b == nil {
		return nil
	}
	pv := &payloadView{Size: len(b), Encoding: "utf8"}
	if len(b) > maxShown {
		cut := maxShown
		for cut > maxShown-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
			cut-- // do not cut a character in two
		}
		b, pv.Truncated = b[:cut], true
	}
	if !utf8.Valid(b) {
		pv.Encoding = "base64"
		pv.Data = base64.StdEncoding.EncodeToString(b)
		return pv
	}
	pv.Data = string(b)
	return pv
}

// withAdmin runs f with the topics page's Kafka client, connecting it
// first if needed; after an error the client is dropped, so the next
// request connects afresh (the cluster may have moved).
func (c *Console) withAdmin(f func(*console.TopicAdmin) error) error {
	if len(c.brokers) == 0 {
		return errors.New("the worker has no bootstrap.servers")
	}
	c.adminMu.Lock()
	if c.closed {
		c.adminMu.Unlock()
		return errors.New("the console is shut down")
	}
	a := c.admin
	if a == nil {
		var err error
		if a, err = console.NewTopicAdmin(c.brokers); err != nil {
			c.adminMu.Unlock()
			return err
		}
		c.admin = a
	}
	c.adminMu.Unlock()
	err := f(a)
	if err != nil && !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		c.adminMu.Lock()
		if c.admin == a {
			c.admin = nil
			_ = a.Close()
		}
		c.adminMu.Unlock()
	}
	return err
}
