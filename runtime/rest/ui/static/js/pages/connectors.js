// The connectors page: every connector with its state, tasks and live
// figures, actions on each, and the throughput of all of them.

import { api } from '../api.js';
import { h, mount, setText, badge } from '../dom.js';
import { rate, bytesRate, count, shortClass } from '../format.js';
import { F, flows, metrics } from '../metrics.js';
import { Plot, spanPicker } from '../plot.js';
import { connectorActions } from '../actions.js';

// taskChips shows each task's state; the title names its worker.
export function taskChips(name, tasks) {
  if (!tasks || tasks.length === 0) return h('span', { class: 'muted' }, 'no tasks');
  return h('div', { class: 'chips' }, tasks.map(t =>
    h('a', { class: 'chip ' + t.state, href: '#/connectors/' + encodeURIComponent(name), title: `task ${t.id}: ${t.state} on ${t.worker_id}` },
      '#' + t.id, ' ', t.state.toLowerCase())));
}

export async function connectorsPage(main, ctx) {
  const recPlot = new Plot({ title: 'Records out per second, by connector', format: rate, id: 'plot-records' });
  const bytePlot = new Plot({ title: 'Bytes per second, by connector', format: bytesRate, id: 'plot-bytes', binary: true });
  ctx.onDispose(() => { recPlot.dispose(); bytePlot.dispose(); });
  const tbody = h('tbody');
  const empty = h('div', { class: 'empty', hidden: true },
    h('p', {}, 'No connectors yet.'), h('a', { class: 'button primary', href: '#/new' }, 'Create a connector'));
  const error = h('div', { class: 'banner error', hidden: true });
  const table = h('table', { id: 'connectors' },
    h('thead', {}, h('tr', {},
      h('th', {}, 'Connector'), h('th', {}, 'Type'), h('th', {}, 'State'), h('th', {}, 'Tasks'),
      h('th', { class: 'num' }, 'In'), h('th', { class: 'num' }, 'Out'), h('th', { class: 'num' }, 'Errors'),
      h('th', { class: 'num' }, 'DLQ'), h('th', { class: 'num' }, 'Sink lag'), h('th', {}, ''))),
    tbody);
  mount(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Connectors'), h('span', { class: 'sub', id: 'connector-count' }),
      h('span', { class: 'spacer' }), spanPicker(), h('a', { class: 'button primary', href: '#/new' }, 'New connector')),
    error,
    h('div', { class: 'grid two' }, h('div', { class: 'panel' }, recPlot.el), h('div', { class: 'panel' }, bytePlot.el)),
    h('div', { class: 'panel flush' }, table, empty));

  const rows = new Map(); // name → row parts
  let data = {};

  const refresh = async () => {
    try {
      data = await api.connectors();
      error.hidden = true;
    } catch (e) {
      error.hidden = false;
      setText(error, e.message);
      return;
    }
    const names = Object.keys(data).sort();
    setText(document.getElementById('connector-count'), names.length === 1 ? '1 connector' : names.length + ' connectors');
    empty.hidden = names.length > 0;
    table.hidden = names.length === 0;
    for (const [name, row] of rows) if (!(name in data)) { row.tr.remove(); rows.delete(name); }
    names.forEach((name, i) => {
      let row = rows.get(name);
      if (!row) {
        row = newRow(name);
        rows.set(name, row);
      }
      if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
      updateRow(row, data[name], refresh);
    });
    paintMetrics(metrics);
  };

  const paintMetrics = store => {
    const times = store.times;
    const names = Object.keys(data).sort();
    const lines = (pick) => names.map(n => ({ label: n, values: store.sum(n, pick(typeOf(data[n]))) }));
    const recLines = lines(t => flows[t]?.out);
    const byteLines = lines(t => flows[t]?.bytes);
    recPlot.update(times, recLines, sumNow(recLines));
    bytePlot.update(times, byteLines, sumNow(byteLines));
    for (const [name, row] of rows) paintRow(row, name, typeOf(data[name]), store);
  };
  ctx.onMetrics(paintMetrics);
  ctx.every(1000, refresh);
}

function typeOf(entry) {
  return entry?.status?.type || entry?.info?.type || 'unknown';
}

// sumNow adds the lines' newest points.
function sumNow(lines) {
  let total = null;
  for (const l of lines) {
    const v = l.values[l.values.length - 1];
    if (v != null) total = (total ?? 0) + v;
  }
  return total;
}

function newRow(name) {
  const cell = (cls) => h('td', { class: cls });
  const row = {
    name: h('td', { class: 'name-cell' }, h('a', { href: '#/connectors/' + encodeURIComponent(name) }, name), h('span', { class: 'cls' })),
    type: cell(), state: cell(), tasks: cell(),
    in: cell('num'), out: cell('num'), errors: cell('num'), dlq: cell('num'), lag: cell('num'), actions: cell(),
  };
  row.tr = h('tr', { dataset: { connector: name } }, row.name, row.type, row.state, row.tasks,
    row.in, row.out, row.errors, row.dlq, row.lag, row.actions);
  return row;
}

function updateRow(row, entry, refresh) {
  const name = entry.info?.name || entry.status?.name;
  const type = typeOf(entry);
  const state = entry.status?.connector?.state || 'UNASSIGNED';
  setText(row.name.querySelector('.cls'), shortClass(entry.info?.config?.['connector.class']));
  if (row.typeShown !== type) {
    row.typeShown = type;
    mount(row.type, h('span', { class: 'tag ' + type }, type));
  }
  const tasksKey = JSON.stringify(entry.status?.tasks || []);
  if (row.stateShown !== state) {
    row.stateShown = state;
    mount(row.state, badge(state));
  }
  if (row.tasksShown !== tasksKey) {
    row.tasksShown = tasksKey;
    mount(row.tasks, taskChips(name, entry.status?.tasks));
  }
  if (row.actionsShown !== state && !row.actions.querySelector('details[open]')) {
    row.actionsShown = state;
    mount(row.actions, connectorActions(name, state, refresh));
  }
}

function paintRow(row, name, type, store) {
  const f = flows[type];
  setText(row.in, f ? rate(store.now(name, f.in)) : '–');
  setText(row.out, f ? rate(store.now(name, f.out)) : '–');
  setText(row.errors, count(store.latest(name, F.errors)));
  setText(row.dlq, count(store.latest(name, F.dlq)));
  setText(row.lag, type === 'sink' ? count(store.latest(name, F.lag)) : '');
}
