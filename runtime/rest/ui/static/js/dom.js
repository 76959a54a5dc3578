// Tiny DOM helpers: h() builds elements, mount() replaces a node's
// children, toast() shows a passing message.

const props = new Set(['value', 'checked', 'selected', 'disabled', 'readOnly', 'open', 'hidden', 'textContent']);

// h(tag, attrs, ...children) returns a new element. attrs: class, dataset
// (an object), on<event> (a listener), DOM properties (value, checked,
// disabled, readOnly, open, hidden), anything else as an attribute.
// Children are nodes, strings, numbers or (nested) arrays of them; null
// and false are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false && !props.has(k)) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (props.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// mount replaces el's children.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// setText changes a node's text only when it differs, so that live
// updates do not disturb a selection.
export function setText(el, text) {
  text = String(text);
  if (el.textContent !== text) el.textContent = text;
}

// toast shows msg for a few seconds; kind 'error' stays longer.
export function toast(msg, kind = 'info') {
  const box = document.getElementById('toasts');
  const t = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' }, msg);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 9000 : 3500);
}

// badge shows a connector's or task's state.
export function badge(state) {
  return h('span', { class: 'badge ' + (state || 'UNASSIGNED') }, state || 'UNASSIGNED');
}

// confirmAction asks before something that cannot be undone.
export function confirmAction(question) {
  return window.confirm(question);
}
