// MetricsStore mirrors the worker's metrics history (GET /ui/api/metrics):
// it polls once a second for the samples it lacks and keeps one array of
// points per series, aligned with one array of sample times.

import { api } from './api.js';

// Family names, as /metrics exports them.
export const F = {
  polled: 'conflux_source_record_poll_total',
  written: 'conflux_source_record_write_total',
  writtenBytes: 'conflux_source_record_write_bytes_total',
  read: 'conflux_sink_record_read_total',
  readBytes: 'conflux_sink_record_read_bytes_total',
  sent: 'conflux_sink_record_send_total',
  errors: 'conflux_task_record_errors_total',
  skipped: 'conflux_task_records_skipped_total',
  dlq: 'conflux_deadletterqueue_produce_requests_total',
  lag: 'conflux_sink_consumer_lag',
};

// flows names the families of records in, records out and bytes of a
// connector type.
export const flows = {
  source: { in: F.polled, out: F.written, bytes: F.writtenBytes },
  sink: { in: F.read, out: F.sent, bytes: F.readBytes },
};

export class MetricsStore {
  constructor() {
    this.reset();
    this.listeners = new Set();
    this.error = null;
  }

  reset() {
    this.last = 0;
    this.capacity = 960;
    this.interval = 1000;
    this.times = [];
    this.series = new Map(); // "family|connector|task" → {family, connector, task, latest, points}
  }

  // start polls every interval until stop; listeners run after each poll.
  start() {
    if (this.timer) return;
    const tick = async () => {
      await this.refresh();
      this.timer = setTimeout(tick, this.interval);
    };
    this.timer = setTimeout(tick, 0);
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async refresh() {
    let w;
    try {
      w = await api.metrics(this.last);
      this.error = null;
    } catch (e) {
      this.error = e;
      this.notify();
      return;
    }
    if (w.last < this.last) { // the worker restarted: start again
      this.reset();
      return this.refresh();
    }
    this.apply(w);
    this.notify();
  }

  notify() {
    for (const fn of this.listeners) {
      try { fn(this); } catch (e) { console.error(e); }
    }
  }

  // apply appends a window of new samples.
  apply(w) {
    this.capacity = w.capacity;
    this.interval = w.interval_ms;
    this.last = w.last;
    const n = w.times.length;
    if (n === 0) return;
    const had = this.times.length;
    this.times.push(...w.times);
    const fresh = new Map(w.series.map(s => [key(s.family, s.connector, s.task), s]));
    for (const [k, s] of fresh) {
      if (!this.series.has(k)) {
        this.series.set(k, { family: s.family, connector: s.connector, task: s.task, latest: s.latest, points: new Array(had).fill(null) });
      }
    }
    for (const [k, s] of this.series) {
      const f = fresh.get(k);
      if (f) {
        s.points.push(...f.points);
        s.latest = f.latest;
      } else {
        for (let i = 0; i < n; i++) s.points.push(null);
      }
    }
    const extra = this.times.length - this.capacity;
    if (extra > 0) {
      this.times.splice(0, extra);
      for (const [k, s] of this.series) {
        s.points.splice(0, extra);
        if (s.points.every(p => p == null)) this.series.delete(k);
      }
    }
  }

  // tasks returns the task ids of a connector with series here, sorted.
  tasks(connector) {
    const ids = new Set();
    for (const s of this.series.values()) if (s.connector === connector) ids.add(s.task);
    return [...ids].sort((a, b) => a - b);
  }

  // task returns one task's points of a family (null where none).
  task(connector, task, family) {
    const s = this.series.get(key(family, connector, task));
    return s ? s.points : new Array(this.times.length).fill(null);
  }

  // sum returns a connector's points of a family, summed over its tasks
  // (null where no task had a point).
  sum(connector, family) {
    const out = new Array(this.times.length).fill(null);
    for (const s of this.series.values()) {
      if (s.family !== family || connector != null && s.connector !== connector) continue;
      s.points.forEach((p, i) => { if (p != null) out[i] = (out[i] ?? 0) + p; });
    }
    return out;
  }

  // now returns the newest point of a connector's (or one task's) family,
  // null when it has none at the newest sample.
  now(connector, family, task) {
    const pts = task == null ? this.sum(connector, family) : this.task(connector, task, family);
    return pts.length ? pts[pts.length - 1] : null;
  }

  // latest returns the last value of a family (a counter's total, a
  // gauge's value) summed over a connector's tasks, or of one task.
  latest(connector, family, task) {
    let total = null;
    for (const s of this.series.values()) {
      if (s.family !== family || s.connector !== connector || task != null && s.task !== String(task)) continue;
      if (s.points[s.points.length - 1] == null && family === F.lag) continue; // gone
      total = (total ?? 0) + s.latest;
    }
    return total;
  }

  // connectors lists the connectors with series here.
  connectors() {
    return [...new Set([...this.series.values()].map(s => s.connector))].sort();
  }
}

function key(family, connector, task) {
  return family + '|' + connector + '|' + task;
}

// The one store every page shares.
export const metrics = new MetricsStore();
