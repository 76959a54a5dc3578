// Buttons that act on a connector through the REST API: pause, resume,
// stop, restart (the connector, with its tasks, or only what failed) and
// delete.

import { api } from './api.js';
import { h, toast, confirmAction } from './dom.js';

// run performs one action and reports how it went; refresh redraws the
// page afterwards.
async function run(what, call, refresh) {
  try {
    await call();
    toast(what);
  } catch (e) {
    toast(e.message, 'error');
  }
  if (refresh) refresh();
}

// connectorActions returns the action buttons fitting a connector's state.
export function connectorActions(name, state, refresh, { onDeleted } = {}) {
  const btn = (action, label, call, cls = '') =>
    h('button', { class: cls, dataset: { action, connector: name }, onclick: () => run(`${label}: ${name}`, call, refresh) }, label);
  const out = [];
  if (state === 'PAUSED' || state === 'STOPPED') out.push(btn('resume', 'Resume', () => api.resume(name), 'primary'));
  else out.push(btn('pause', 'Pause', () => api.pause(name)));
  if (state !== 'STOPPED') out.push(btn('stop', 'Stop', () => api.stop(name)));

  const menu = h('details', { class: 'menu' });
  const item = (action, label, includeTasks, onlyFailed) =>
    h('button', {
      dataset: { action, connector: name }, onclick: () => {
        menu.open = false;
        run(`${label}: ${name}`, () => api.restart(name, includeTasks, onlyFailed), refresh);
      },
    }, label);
  menu.append(
    h('summary', { class: 'button' + (state === 'FAILED' ? ' primary' : ''), dataset: { action: 'restart-menu', connector: name } }, 'Restart'),
    h('div', { class: 'menu-items' },
      item('restart', 'Restart the connector', false, false),
      item('restart-all', 'Restart the connector and its tasks', true, false),
      item('restart-failed', 'Restart only what failed', true, true)));
  out.push(menu);

  out.push(h('button', {
    class: 'danger', dataset: { action: 'delete', connector: name },
    onclick: () => {
      if (!confirmAction(`Delete connector ${name}? Its configuration is removed; its source offsets are kept.`)) return;
      run(`Deleted ${name}`, () => api.remove(name), onDeleted || refresh);
    },
  }, 'Delete'));
  return h('div', { class: 'actions' }, out);
}

// taskRestart returns a button restarting one task.
export function taskRestart(name, task, refresh) {
  return h('button', {
    class: 'small', dataset: { action: 'restart-task', connector: name, task },
    onclick: () => run(`Restarting task ${name}-${task}`, () => api.restartTask(name, task), refresh),
  }, 'Restart');
}

// Close open menus on a click elsewhere.
document.addEventListener('click', e => {
  document.querySelectorAll('details.menu[open]').forEach(m => { if (!m.contains(e.target)) m.open = false; });
});
