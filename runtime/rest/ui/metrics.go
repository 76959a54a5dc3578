package ui

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"conflux/runtime/rest"
	"conflux/runtime/rest/ui/history"
)

// Families are the worker's metric families the console records and
// plots: records and bytes through source and sink tasks, errors, dead
// letter queue writes, and sink consumer lag (summed over a task's
// partitions).
var Families = []history.Family{
	{Name: "conflux_source_record_poll_total", Kind: history.Rate},
	{Name: "conflux_source_record_write_total", Kind: history.Rate},
	{Name: "conflux_source_record_write_bytes_total", Kind: history.Rate},
	{Name: "conflux_sink_record_read_total", Kind: history.Rate},
	{Name: "conflux_sink_record_read_bytes_total", Kind: history.Rate},
	{Name: "conflux_sink_record_send_total", Kind: history.Rate},
	{Name: "conflux_task_record_errors_total", Kind: history.Rate},
	{Name: "conflux_task_records_skipped_total", Kind: history.Rate},
	{Name: "conflux_deadletterqueue_produce_requests_total", Kind: history.Rate},
	{Name: "conflux_sink_consumer_lag", Kind: history.Level},
}

// metrics answers GET /ui/api/metrics?since=N&connector=C: the samples
// after sequence number N (0 or absent: all there are), of one
// connector's tasks or of every task on this worker.
//
//	{"interval_ms":1000,"capacity":960,"first":41,"last":42,"times":[…],
//	 "series":[{"family":"conflux_source_record_write_total","connector":"c","task":"0",
//	            "latest":1234,"points":[null,250.5]}]}
//
// Counters' points are per-second rates and latest their total; gauges'
// points and latest are values. A point is null where the series had
// none.
func (c *Console) metrics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since uint64
	if s := q.Get("since"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			rest.WriteError(w, http.StatusBadRequest, "since must be a sample number (a whole number of 0 or more), not "+strconv.Quote(s))
			return
		}
		since = n
	}
	var keep func(history.Key) bool
	if name, ok := q["connector"]; ok {
		keep = func(k history.Key) bool { return k.Connector == name[0] }
	}
	win := c.history.Since(since, keep)
	writeRaw(w, http.StatusOK, appendWindow(nil, win, c.history.Capacity()))
}

// appendWindow encodes a window as the metrics endpoint answers it. It is
// written by hand: NaN points become null, and a full window holds many
// thousands of numbers.
func appendWindow(b []byte, win history.Window, capacity int) []byte {
	b = append(b, `{"interval_ms":`...)
	b = strconv.AppendInt(b, win.Interval.Milliseconds(), 10)
	b = append(b, `,"capacity":`...)
	b = strconv.AppendInt(b, int64(capacity), 10)
	b = append(b, `,"first":`...)
	b = strconv.AppendUint(b, win.First, 10)
	b = append(b, `,"last":`...)
	b = strconv.AppendUint(b, win.Last, 10)
	b = append(b, `,"times":[`...)
	for i, t := range win.Times {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, t, 10)
	}
	b = append(b, `],"series":[`...)
	for i, s := range win.Series {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"family":`...)
		b = appendString(b, s.Family)
		b = append(b, `,"connector":`...)
		b = appendString(b, s.Connector)
		b = append(b, `,"task":`...)
		b = appendString(b, s.Task)
		b = append(b, `,"latest":`...)
		b = appendNumber(b, s.Latest, 64)
		b = append(b, `,"points":[`...)
		for j, p := range s.Points {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendNumber(b, float64(p), 32)
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...)
}

// appendNumber appends v in its shortest form for its precision, or null
// for NaN and infinities, which JSON cannot hold.
func appendNumber(b []byte, v float64, bits int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, bits)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

// writeRaw writes body, already JSON, as the response.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
