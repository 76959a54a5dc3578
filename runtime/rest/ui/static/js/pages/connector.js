// One connector: its state and actions, live plots of its throughput, lag
// and errors (in total and per task), its tasks with their workers and
// failure traces, and its configuration.

import { api } from '../api.js';
import { h, mount, setText, badge } from '../dom.js';
import { rate, bytesRate, count, shortClass } from '../format.js';
import { F, flows, metrics } from '../metrics.js';
import { Plot, spanPicker } from '../plot.js';
import { connectorActions, taskRestart } from '../actions.js';

export async function connectorPage(main, ctx, name) {
  const link = '#/connectors/' + encodeURIComponent(name);
  const title = h('div', { class: 'page-head' });
  const failure = h('div', { id: 'connector-failure' });
  const note = h('div');
  const plots = {
    in: new Plot({ title: 'Records in per second', format: rate, id: 'plot-in' }),
    out: new Plot({ title: 'Records out per second', format: rate, id: 'plot-out' }),
    bytes: new Plot({ title: 'Bytes per second', format: bytesRate, id: 'plot-bytes', binary: true }),
    errors: new Plot({ title: 'Errors per second', format: rate, id: 'plot-errors' }),
    lag: new Plot({ title: 'Sink consumer lag (records)', format: count, id: 'plot-lag' }),
  };
  ctx.onDispose(() => Object.values(plots).forEach(p => p.dispose()));
  const lagPanel = h('div', { class: 'panel', hidden: true }, plots.lag.el);
  const tbody = h('tbody');
  const configBody = h('tbody');
  mount(main, title, failure, note,
    h('div', { class: 'grid two' },
      h('div', { class: 'panel' }, plots.in.el), h('div', { class: 'panel' }, plots.out.el),
      h('div', { class: 'panel' }, plots.bytes.el), h('div', { class: 'panel' }, plots.errors.el), lagPanel),
    h('div', { class: 'panel flush' },
      h('table', { id: 'tasks' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Task'), h('th', {}, 'State'), h('th', {}, 'Worker'),
          h('th', { class: 'num' }, 'In'), h('th', { class: 'num' }, 'Out'), h('th', { class: 'num' }, 'Bytes'),
          h('th', { class: 'num' }, 'Errors'), h('th', { class: 'num' }, 'DLQ'), h('th', { class: 'num' }, 'Sink lag'), h('th', {}, ''))),
        tbody)),
    h('div', { class: 'panel' }, h('h2', {}, 'Configuration', h('span', { class: 'spacer' }),
      h('a', { class: 'button small', href: link + '/edit', id: 'edit-config' }, 'Edit configuration')),
    h('table', { class: 'config' }, configBody)));

  let status = null, info = null, shownKey = '', selfId = null;
  api.cluster().then(c => { selfId = c.worker_id; }).catch(() => {});

  const refresh = async () => {
    try {
      [status, info] = await Promise.all([api.status(name), api.connector(name)]);
    } catch (e) {
      if (e.status === 404) {
        mount(main, h('div', { class: 'banner info' }, `There is no connector ${name}.`), h('a', { href: '#/connectors' }, '← All connectors'));
        ctx.dispose();
        return;
      }
      mount(failure, h('div', { class: 'banner error' }, e.message));
      return;
    }
    const state = status.connector.state;
    const key = JSON.stringify([status, info.config]);
    if (key === shownKey) return;
    shownKey = key;
    const cls = info.config['connector.class'];
    mount(title, h('h1', {}, name), h('span', { class: 'tag ' + status.type }, status.type), h('span', { id: 'connector-state' }, badge(state)),
      h('span', { class: 'sub', title: cls }, shortClass(cls), ' · worker ', status.connector.worker_id || '–'),
      h('span', { class: 'spacer' }), spanPicker(),
      connectorActions(name, state, refresh, { onDeleted: () => { location.hash = '#/connectors'; } }));
    mount(failure, state === 'FAILED' && status.connector.trace ?
      h('div', { class: 'panel' }, h('h2', {}, 'The connector failed'), h('pre', { class: 'trace' }, status.connector.trace)) : null);
    lagPanel.hidden = status.type !== 'sink';
    const remote = status.tasks.filter(t => selfId && t.worker_id && t.worker_id !== selfId);
    mount(note, remote.length ? h('div', { class: 'banner info' },
      `Task${remote.length > 1 ? 's' : ''} ${remote.map(t => t.id).join(', ')} run${remote.length > 1 ? '' : 's'} on another worker; ` +
      'their figures are on that worker\'s console: ', remote.map(t => h('a', { href: `http://${t.worker_id}/ui${link}` }, t.worker_id + ' ')))
      : null);
    renderTasks();
    mount(configBody, Object.keys(info.config).sort().map(k =>
      h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, info.config[k]))));
  };

  const cells = new Map(); // task id → metric cells
  const renderTasks = () => {
    cells.clear();
    mount(tbody, status.tasks.length === 0 ? h('tr', {}, h('td', { colspan: 10, class: 'muted' }, 'No tasks are running.')) : null,
      status.tasks.map(t => {
        const c = { in: h('td', { class: 'num' }), out: h('td', { class: 'num' }), bytes: h('td', { class: 'num' }),
          errors: h('td', { class: 'num' }), dlq: h('td', { class: 'num' }), lag: h('td', { class: 'num' }) };
        cells.set(String(t.id), c);
        const row = h('tr', { dataset: { task: t.id } }, h('td', { class: 'mono' }, `${name}-${t.id}`), h('td', {}, badge(t.state)),
          h('td', { class: 'mono' }, t.worker_id || '–'), c.in, c.out, c.bytes, c.errors, c.dlq, c.lag,
          h('td', {}, taskRestart(name, t.id, refresh)));
        return t.trace ? [row, h('tr', { class: 'trace-row' }, h('td', { colspan: 10 },
          h('details', { open: true }, h('summary', {}, `Why task ${t.id} failed`), h('pre', { class: 'trace' }, t.trace))))] : row;
      }));
    paint(metrics);
  };

  const paint = store => {
    if (!status) return;
    const f = flows[status.type];
    if (!f) return;
    const tasks = store.tasks(name);
    const lines = family => {
      const total = store.sum(name, family);
      if (tasks.length <= 1) return [{ label: '', values: total }];
      return [{ label: 'all tasks', values: total, color: '#141a2a' },
        ...tasks.map(t => ({ label: 'task ' + t, values: store.task(name, t, family) }))];
    };
    for (const [plot, family] of [[plots.in, f.in], [plots.out, f.out], [plots.bytes, f.bytes], [plots.errors, F.errors], [plots.lag, F.lag]]) {
      const l = lines(family);
      plot.update(store.times, l, l[0].values[l[0].values.length - 1]);
    }
    for (const [id, c] of cells) {
      setText(c.in, rate(store.now(name, f.in, id)));
      setText(c.out, rate(store.now(name, f.out, id)));
      setText(c.bytes, bytesRate(store.now(name, f.bytes, id)));
      setText(c.errors, count(store.latest(name, F.errors, id)));
      setText(c.dlq, count(store.latest(name, F.dlq, id)));
      setText(c.lag, status.type === 'sink' ? count(store.latest(name, F.lag, id)) : '');
    }
  };
  ctx.onMetrics(paint);
  ctx.every(1000, refresh);
}
