// The topics pages, read-only and through the Kafka protocol: every topic
// with its partitions and offsets, and a peek at the newest records of a
// partition.

import { api } from '../api.js';
import { h, mount, setText } from '../dom.js';
import { count, stamp } from '../format.js';

const isInternal = t => t.internal || t.name.startsWith('__');
const records = p => p.start >= 0 && p.end >= 0 ? p.end - p.start : null;
const total = t => t.partitions.reduce((n, p) => n + (records(p) ?? 0), 0);

function retention(ms) {
  if (ms == null || ms === '') return '–';
  const n = Number(ms);
  if (n < 0) return 'forever';
  const day = 86400e3, hour = 3600e3;
  return n % day === 0 ? `${n / day} d` : n % hour === 0 ? `${n / hour} h` : `${count(n)} ms`;
}

export async function topicsPage(main) {
  const filter = h('input', { type: 'search', placeholder: 'Filter topics', id: 'topic-filter' });
  const internal = h('input', { type: 'checkbox', id: 'show-internal' });
  const tbody = h('tbody');
  const error = h('div');
  let topics = [];
  const render = () => {
    const f = filter.value.trim().toLowerCase();
    const shown = topics.filter(t => (internal.checked || !isInternal(t)) && t.name.toLowerCase().includes(f));
    mount(tbody, shown.length === 0 ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No topics match.')) :
      shown.map(t => h('tr', { dataset: { topic: t.name } },
        h('td', { class: 'name-cell' }, h('a', { href: '#/topics/' + encodeURIComponent(t.name) }, t.name),
          isInternal(t) ? [' ', h('span', { class: 'tag' }, 'internal')] : null),
        h('td', { class: 'num' }, t.partitions.length),
        h('td', { class: 'num' }, t.partitions[0] ? t.partitions[0].replicas.length : '–'),
        h('td', { class: 'num' }, count(total(t))),
        h('td', {}, t.configs['cleanup.policy'] || '–'),
        h('td', {}, retention(t.configs['retention.ms'])))));
  };
  const load = async () => {
    try {
      topics = await api.topics();
      mount(error);
    } catch (e) {
      mount(error, h('div', { class: 'banner error' }, e.message));
    }
    render();
  };
  filter.addEventListener('input', render);
  internal.addEventListener('change', render);
  mount(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Topics'), h('span', { class: 'sub' }, 'Read through the Kafka protocol: any Kafka cluster works.'),
      h('span', { class: 'spacer' }), h('button', { onclick: load }, 'Refresh')),
    error,
    h('div', { class: 'toolbar' }, filter, h('label', {}, internal, 'Show internal topics')),
    h('div', { class: 'panel flush' }, h('table', { id: 'topics' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Topic'), h('th', { class: 'num' }, 'Partitions'), h('th', { class: 'num' }, 'Replicas'),
        h('th', { class: 'num' }, 'Records'), h('th', {}, 'Cleanup policy'), h('th', {}, 'Retention'))),
      tbody)));
  await load();
}

export async function topicPage(main, ctx, name) {
  const error = h('div');
  const parts = h('tbody');
  const peekHead = h('h2', {}, 'Newest records');
  const peekBody = h('div', { id: 'peek' }, h('p', { class: 'muted' }, 'Choose a partition to peek at.'));
  const limit = h('select', { id: 'peek-limit' }, [10, 20, 50, 100, 200].map(n => h('option', { value: n, selected: n === 20 }, `last ${n}`)));
  const pretty = h('input', { type: 'checkbox', id: 'peek-pretty' });
  let current = null;
  mount(main,
    h('div', { class: 'page-head' }, h('a', { href: '#/topics' }, '← Topics'), h('h1', {}, name), h('span', { class: 'sub', id: 'topic-summary' }),
      h('span', { class: 'spacer' }), h('button', { onclick: () => load() }, 'Refresh')),
    error,
    h('div', { class: 'panel flush' }, h('table', { id: 'partitions' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Partition'), h('th', {}, 'Leader'), h('th', {}, 'Replicas'), h('th', {}, 'In sync'),
        h('th', { class: 'num' }, 'Log start'), h('th', { class: 'num' }, 'Log end'), h('th', { class: 'num' }, 'Records'), h('th', {}, ''))),
      parts)),
    h('div', { class: 'panel' }, h('div', { class: 'toolbar' }, peekHead, h('span', { class: 'spacer' }),
      h('label', {}, pretty, 'Pretty-print JSON'), limit), peekBody));
  limit.addEventListener('change', () => { if (current != null) peek(current); });
  pretty.addEventListener('change', () => { if (current != null) peek(current); });

  async function load() {
    let t;
    try {
      t = (await api.topics()).find(x => x.name === name);
    } catch (e) {
      mount(error, h('div', { class: 'banner error' }, e.message));
      return;
    }
    if (!t) {
      mount(error, h('div', { class: 'banner info' }, `There is no topic ${name}.`));
      return;
    }
    mount(error, t.config_error ? h('div', { class: 'banner error' }, t.config_error) : null);
    setText(document.getElementById('topic-summary'),
      `${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'} · ${count(total(t))} records · ` +
      `cleanup.policy ${t.configs['cleanup.policy'] || '–'}`);
    mount(parts, t.partitions.map(p => h('tr', { dataset: { partition: p.partition } },
      h('td', { class: 'mono' }, p.partition), h('td', {}, p.leader), h('td', {}, p.replicas.join(', ')), h('td', {}, p.isr.join(', ')),
      h('td', { class: 'num' }, count(p.start)), h('td', { class: 'num' }, count(p.end)), h('td', { class: 'num' }, count(records(p))),
      h('td', {}, p.error ? h('span', { class: 'muted' }, p.error) :
        h('button', { class: 'small', dataset: { action: 'peek', partition: p.partition }, onclick: () => peek(p.partition) }, 'Peek')))));
    if (current == null && t.partitions.length) {
      const busiest = t.partitions.reduce((a, b) => (records(b) ?? 0) > (records(a) ?? 0) ? b : a);
      if (records(busiest)) peek(busiest.partition);
    }
  }

  async function peek(partition) {
    current = partition;
    setText(peekHead, `Newest records of partition ${partition}`);
    mount(peekBody, h('p', { class: 'muted' }, 'Reading…'));
    let res;
    try {
      res = await api.records(name, partition, limit.value);
    } catch (e) {
      mount(peekBody, h('div', { class: 'banner error' }, e.message));
      return;
    }
    if (res.records.length === 0) {
      mount(peekBody, h('p', { class: 'muted' }, 'This partition holds no records.'));
      return;
    }
    mount(peekBody,
      res.incomplete ? h('div', { class: 'banner info' }, 'Reading took too long; these are the records that came in time.') : null,
      h('table', { id: 'records' },
        h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Offset'), h('th', {}, 'Timestamp'), h('th', {}, 'Key'), h('th', {}, 'Value'), h('th', {}, 'Headers'))),
        h('tbody', {}, res.records.slice().reverse().map(r => h('tr', {},
          h('td', { class: 'num mono' }, r.offset), h('td', { class: 'mono small' }, stamp(r.timestamp)),
          h('td', { class: 'key-cell' }, shown(r.key, false)), h('td', {}, shown(r.value, pretty.checked)),
          h('td', { class: 'small' }, r.headers.length ? r.headers.map(hd => h('div', { class: 'mono' }, hd.key, '=', text(hd.value))) : '–'))))));
  }
  await load();
}

function text(p) {
  if (p == null) return 'null';
  return p.encoding === 'base64' ? 'base64:' + p.data : p.data;
}

// shown renders a key or value: JSON pretty-printed, else as text, with a
// note when it was cut.
function shown(p, pretty) {
  if (p == null) return h('span', { class: 'muted' }, 'null');
  let s = text(p);
  if (pretty && p.encoding === 'utf8' && !p.truncated && /^\s*[[{]/.test(s)) {
    try { s = JSON.stringify(JSON.parse(s), null, 2); } catch { /* not JSON after all */ }
  }
  return h('pre', { class: 'value' }, s, p.truncated ? h('span', { class: 'muted' }, `\n… ${count(p.size)} bytes in all`) : null);
}
