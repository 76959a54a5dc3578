// The cluster page: this worker's membership (generation, protocol,
// leader) and every worker known from the statuses with its connectors
// and tasks.

import { api } from '../api.js';
import { h, mount } from '../dom.js';

function card(label, value, id, small) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' + (small ? ' small-value' : ''), id }, value));
}

export async function clusterPage(main, ctx) {
  const body = h('div');
  mount(main, h('div', { class: 'page-head' }, h('h1', {}, 'Cluster'),
    h('span', { class: 'sub' }, 'The Connect workers of this group, as this worker sees them.')), body);
  ctx.every(2000, async () => {
    let c;
    try {
      c = await api.cluster();
    } catch (e) {
      mount(body, h('div', { class: 'banner error' }, e.message));
      return;
    }
    const joined = c.generation >= 0;
    mount(body,
      joined ? null : h('div', { class: 'banner info' }, 'This worker has not joined its group yet.'),
      h('div', { class: 'grid cards' },
        card('This worker', c.worker_id, 'self-id', true),
        card('Role', joined ? (c.leader ? 'Leader' : 'Follower') : '–', 'role'),
        card('Generation', joined ? c.generation : '–', 'generation'),
        card('Protocol', c.protocol || '–', 'protocol'),
        card('Leader', c.leader_url ? c.leader_url.replace(/^https?:\/\//, '') : '–', 'leader-url', true)),
      h('div', { class: 'panel' },
        h('h2', {}, 'Assigned to this worker'),
        c.assigned.connectors.length + c.assigned.tasks.length === 0 ? h('p', { class: 'muted' }, 'Nothing.') :
          h('div', { class: 'chips', id: 'assignment' },
            c.assigned.connectors.map(n => h('a', { class: 'chip', href: '#/connectors/' + encodeURIComponent(n) }, n)),
            c.assigned.tasks.map(t => h('a', { class: 'chip', href: '#/connectors/' + encodeURIComponent(t.connector) }, `${t.connector}-${t.task}`)))),
      h('div', { class: 'panel flush' }, h('table', { id: 'workers' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Worker'), h('th', {}, 'Role'), h('th', {}, 'Connectors'), h('th', {}, 'Tasks'))),
        h('tbody', {}, c.workers.map(w => h('tr', { dataset: { worker: w.id } },
          h('td', { class: 'name-cell' }, w.self ? h('b', {}, w.id) : h('a', { href: w.url + '/ui#/cluster' }, w.id),
            h('span', { class: 'cls' }, w.self ? 'this worker' : w.url)),
          h('td', {}, w.leader ? h('span', { class: 'tag leader' }, 'leader') : h('span', { class: 'muted' }, 'member')),
          h('td', {}, units(w.connectors)), h('td', {}, units(w.tasks))))))),
      h('p', { class: 'muted small' }, 'Workers are known from the statuses they write; one that runs nothing shows here only while it leads.'));
  });
}

function units(list) {
  if (!list.length) return h('span', { class: 'muted' }, '–');
  return h('div', { class: 'chips' }, list.map(u =>
    h('a', { class: 'chip ' + u.state, href: '#/connectors/' + encodeURIComponent(u.connector), title: u.state },
      u.task == null ? u.connector : `${u.connector}-${u.task}`)));
}
