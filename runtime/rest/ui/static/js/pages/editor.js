// Create or edit a connector: a form generated from the plugin's config
// spec (GET /connector-plugins/{p}/config), validated as the user types
// (PUT /connector-plugins/{p}/config/validate) with each field's errors
// shown beside it; a pasted .properties or JSON config fills the form.
// Creating posts the config; editing patches only the keys that changed,
// so hidden passwords stay as they are.

import { api } from '../api.js';
import { h, mount, setText, toast } from '../dom.js';
import { shortClass } from '../format.js';
import { parseConfig } from '../props.js';

const frameworkGroups = new Set(['Common', 'Transforms', 'Predicates', 'Error Handling', 'Topic Creation',
  'Exactly Once Support', 'offsets.topic']);
const isFramework = g => frameworkGroups.has(g) || /^(Transforms|Predicates|Topic Creation): /.test(g);
const OTHER = 'Other settings';
const HIDDEN = '[hidden]';
// Keys whose values are documents rather than words get a text area.
const multiline = /(^|\.)(string|schema|template|query|sql|json|script|expression)$/;

export async function editorPage(main, ctx, editName) {
  const editing = editName != null;
  const [plugins, original] = await Promise.all([
    api.plugins(),
    editing ? api.config(editName) : Promise.resolve(null),
  ]);
  const st = {
    plugin: null,         // the connector.class the form is for
    defs: new Map(),      // key → definition (ConfigKeyInfo)
    values: new Map(),    // key → text as typed
    touched: new Set(),
    errors: new Map(),    // key → error texts of the last validation
    visible: new Map(),
    fields: new Map(),    // key → {el, input, errors}
    groups: new Map(),    // group → {el, body, count}
    submitted: false,
    seq: 0,               // validation requests sent
    timer: null,
  };

  const pluginSelect = h('select', { id: 'plugin', disabled: editing, onchange: () => choosePlugin(pluginSelect.value, new Map()) },
    h('option', { value: '' }, 'Choose a connector plugin…'),
    plugins.map(p => h('option', { value: p.class }, `${shortClass(p.class)} (${p.type}${p.version ? ', ' + p.version : ''})`)));
  const groupsEl = h('div', { id: 'groups' });
  const status = h('div', { class: 'status', id: 'validation-status' }, 'Choose a plugin to start.');
  const general = h('ul', { class: 'pill-list', id: 'general-errors' });
  const banner = h('div', { id: 'submit-error' });
  const submit = h('button', { class: 'primary', id: 'submit', onclick: () => save() }, editing ? 'Save changes' : 'Create connector');
  const pasteBox = h('textarea', { id: 'paste', placeholder: 'name=my-connector\nconnector.class=datagen\n…\n\nor {"name": …, "config": {…}}' });
  const preview = h('textarea', { id: 'preview', readOnly: true, hidden: true });

  mount(main,
    h('div', { class: 'page-head' }, h('h1', {}, editing ? `Edit ${editName}` : 'New connector'),
      h('span', { class: 'sub' }, 'Fields are checked by the worker as you type.')),
    h('div', { class: 'editor' },
      h('div', {},
        h('fieldset', {}, h('legend', {}, 'Plugin'),
          h('div', { class: 'field' }, h('label', { for: 'plugin' }, 'Connector plugin', h('code', {}, 'connector.class')),
            h('div', {}, pluginSelect, h('div', { class: 'help' }, 'The source or sink this connector runs.')))),
        groupsEl),
      h('aside', {},
        h('div', { class: 'panel summary-box' }, status, general, banner,
          h('div', { class: 'actions' }, submit,
            h('a', { class: 'button', href: editing ? '#/connectors/' + encodeURIComponent(editName) : '#/connectors' }, 'Cancel'),
            h('button', { onclick: () => { preview.hidden = !preview.hidden; showPreview(); } }, 'JSON')),
          preview),
        h('div', { class: 'panel' }, h('h2', {}, 'Paste a config'),
          h('p', { class: 'muted small' }, 'A Kafka Connect .properties file, or JSON as POST /connectors takes it.'),
          pasteBox,
          h('div', { class: 'actions' }, h('button', { id: 'apply-paste', onclick: () => applyPaste() }, 'Fill the form'))))));

  // choosePlugin loads a plugin's spec and builds its form with values.
  async function choosePlugin(cls, values) {
    st.plugin = cls || null;
    st.defs.clear(); st.fields.clear(); st.groups.clear(); st.errors.clear(); st.visible.clear();
    st.values = values; st.touched = new Set(values.keys());
    groupsEl.replaceChildren();
    if (!st.plugin) return;
    pluginSelect.value = st.plugin;
    let spec;
    try {
      spec = await api.pluginConfig(st.plugin);
    } catch (e) {
      mount(groupsEl, h('div', { class: 'banner error' }, e.message));
      return;
    }
    const own = [...new Set(spec.filter(k => !isFramework(k.group || OTHER)).map(k => k.group || OTHER))];
    for (const g of ['Connector', ...own, 'Common']) group(g);
    for (const def of spec) addField(def);
    for (const k of values.keys()) if (!st.defs.has(k) && k !== 'connector.class') addField(otherDef(k));
    validateSoon(0);
  }

  // group returns a group's container, creating it: the connector's name,
  // the plugin's own groups and Common open, the others folded.
  function group(name) {
    let g = st.groups.get(name);
    if (g) return g;
    const body = h('div', { class: 'fields' });
    const count = h('span', { class: 'count' });
    const open = name === 'Connector' || name === 'Common' || !isFramework(name);
    const el = open
      ? h('fieldset', { dataset: { group: name } }, h('legend', {}, name === 'Connector' ? 'Connector' : name), body)
      : h('details', { class: 'group', dataset: { group: name } }, h('summary', {}, name, count), body);
    g = { el, body, count, open };
    st.groups.set(name, g);
    groupsEl.append(el);
    return g;
  }

  function otherDef(name) {
    return { name, type: 'STRING', required: false, default_value: null, importance: 'LOW', group: OTHER,
      documentation: 'Not a setting the plugin declares; passed to the connector as is.', display_name: name, width: 'NONE' };
  }

  // addField adds a key's field to its group, once.
  function addField(def) {
    if (def.name === 'connector.class' || st.fields.has(def.name)) return;
    st.defs.set(def.name, def);
    const id = 'f-' + def.name.replace(/[^A-Za-z0-9_-]/g, '_');
    const value = st.values.get(def.name) ?? '';
    const placeholder = def.default_value != null && def.default_value !== '' ? 'default: ' + def.default_value : def.required ? 'required' : '';
    let input;
    if (def.type === 'BOOLEAN') {
      input = h('select', { id },
        h('option', { value: '' }, def.default_value != null ? `default (${def.default_value})` : '—'),
        h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
      input.value = value;
    } else if (def.type === 'STRING' && multiline.test(def.name)) {
      input = h('textarea', { id, placeholder, value, spellcheck: 'false' });
    } else {
      input = h('input', {
        id, value, placeholder, spellcheck: 'false', autocomplete: def.type === 'PASSWORD' ? 'new-password' : 'off',
        type: def.type === 'PASSWORD' ? 'password' : 'text',
        inputmode: ['INT', 'LONG', 'SHORT'].includes(def.type) ? 'numeric' : def.type === 'DOUBLE' ? 'decimal' : null,
      });
    }
    if (def.name === 'name' && editing) {
      input.value = editName;
      input.readOnly = true;
    }
    if (def.type === 'PASSWORD' && original && original[def.name] === HIDDEN) {
      input.value = '';
      input.placeholder = 'unchanged (hidden)';
    }
    const onEdit = () => {
      st.values.set(def.name, input.value);
      st.touched.add(def.name);
      validateSoon();
    };
    input.addEventListener('input', onEdit);
    input.addEventListener('change', onEdit);
    const errors = h('div', { class: 'errors', role: 'alert' });
    const typeHint = def.type === 'LIST' ? ' A comma-separated list.' : '';
    const el = h('div', { class: 'field', dataset: { key: def.name } },
      h('label', { for: id }, def.display_name || def.name, def.required ? h('span', { class: 'req', title: 'required' }, '*') : null,
        h('code', {}, def.name)),
      h('div', {}, input, errors, def.documentation || typeHint ? h('div', { class: 'help' }, (def.documentation || '') + typeHint) : null));
    st.fields.set(def.name, { el, input, errors });
    const g = group(def.name === 'name' ? 'Connector' : def.group || OTHER);
    g.body.append(el);
    if (!g.open) setText(g.count, `(${g.body.children.length})`);
  }

  // config returns the connector config the form describes.
  function config() {
    const out = { 'connector.class': st.plugin };
    for (const [k, v] of st.values) {
      if (v === '' || v == null) continue;
      out[k] = v;
    }
    if (editing) out.name = editName;
    return out;
  }

  function validateSoon(delay = 250) {
    clearTimeout(st.timer);
    setText(status, 'Checking…');
    status.className = 'status';
    st.timer = setTimeout(validate, delay);
  }

  async function validate() {
    if (!st.plugin) return;
    const seq = ++st.seq;
    const cfg = config();
    if (editing) {
      for (const [k, v] of Object.entries(original)) if (v === HIDDEN && !st.values.get(k)) cfg[k] = v;
    }
    let res;
    try {
      res = await api.validate(st.plugin, cfg);
    } catch (e) {
      if (seq !== st.seq) return;
      setText(status, 'Cannot check: ' + e.message);
      status.className = 'status bad';
      return;
    }
    if (seq !== st.seq) return; // a newer check is on its way
    st.errors.clear();
    for (const c of res.configs) {
      if (c.definition) addField(c.definition);
      if (c.value) {
        st.visible.set(c.value.name, c.value.visible);
        if (c.value.errors.length) st.errors.set(c.value.name, c.value.errors);
        const f = st.fields.get(c.value.name);
        if (f && c.value.recommended_values.length && f.input.tagName === 'INPUT') recommend(f, c.value.recommended_values);
      }
    }
    showErrors(res.error_count);
    showPreview();
  }

  function recommend(f, values) {
    const id = f.input.id + '-values';
    let list = document.getElementById(id);
    if (!list) {
      list = h('datalist', { id });
      f.el.append(list);
      f.input.setAttribute('list', id);
    }
    mount(list, values.map(v => h('option', { value: v })));
  }

  function showErrors(total) {
    const hiddenErrors = [];
    for (const [k, f] of st.fields) {
      const errs = st.errors.get(k) || [];
      const shown = errs.length > 0 && (st.submitted || st.touched.has(k));
      f.el.classList.toggle('invalid', shown);
      mount(f.errors, shown ? errs.map(e => h('div', {}, e)) : null);
      f.el.hidden = st.visible.get(k) === false;
      if (errs.length && !shown) hiddenErrors.push(k);
      if (shown) {
        const g = f.el.closest('details');
        if (g) g.open = true;
      }
    }
    const orphan = [...st.errors].filter(([k]) => !st.fields.has(k));
    mount(general, orphan.map(([k, errs]) => errs.map(e => h('li', {}, `${k}: ${e}`))));
    const shownCount = total - hiddenErrors.length;
    if (total === 0) {
      setText(status, '✓ The configuration is valid.');
      status.className = 'status ok';
    } else if (shownCount <= 0) {
      setText(status, `${hiddenErrors.length} field${hiddenErrors.length === 1 ? '' : 's'} still to fill in: ${hiddenErrors.join(', ')}`);
      status.className = 'status';
    } else {
      const more = hiddenErrors.length ? `, and ${hiddenErrors.length} field${hiddenErrors.length === 1 ? '' : 's'} still to fill in` : '';
      setText(status, `${shownCount} problem${shownCount === 1 ? '' : 's'} to fix${more}`);
      status.className = 'status bad';
    }
  }

  function showPreview() {
    if (preview.hidden || !st.plugin) return;
    const cfg = config();
    const name = editing ? editName : cfg.name;
    delete cfg.name;
    preview.value = JSON.stringify({ name, config: cfg }, null, 2);
  }

  async function save() {
    mount(banner);
    st.submitted = true;
    if (!st.plugin) {
      mount(banner, h('div', { class: 'banner error' }, 'Choose a connector plugin first.'));
      return;
    }
    const cfg = config();
    const name = editing ? editName : (cfg.name || '').trim();
    submit.disabled = true;
    try {
      if (editing) {
        const patch = {};
        for (const k of new Set([...Object.keys(original), ...Object.keys(cfg)])) {
          const before = original[k], after = cfg[k];
          if (before === HIDDEN && after == null) continue; // an untouched password
          if (before !== after) patch[k] = after ?? null;
        }
        if (Object.keys(patch).length === 0) {
          toast('Nothing changed.');
        } else {
          await api.patchConfig(name, patch);
          toast(`Saved ${name}`);
        }
      } else {
        delete cfg.name;
        await api.create(name, cfg);
        toast(`Created ${name}`);
      }
      location.hash = '#/connectors/' + encodeURIComponent(name);
    } catch (e) {
      mount(banner, h('div', { class: 'banner error' }, e.message));
      validate();
    } finally {
      submit.disabled = false;
    }
  }

  async function applyPaste() {
    let parsed;
    try {
      parsed = parseConfig(pasteBox.value);
    } catch (e) {
      mount(banner, h('div', { class: 'banner error' }, e.message));
      return;
    }
    mount(banner);
    const { config: cfg } = parsed;
    const cls = cfg['connector.class'] || st.plugin;
    if (!cls) {
      mount(banner, h('div', { class: 'banner error' }, 'The config names no connector.class, and no plugin is chosen.'));
      return;
    }
    const values = new Map(Object.entries(cfg).filter(([k]) => k !== 'connector.class'));
    if (parsed.name != null) values.set('name', parsed.name);
    if (editing) values.set('name', editName);
    await choosePlugin(pluginClass(cls), values);
  }

  // pluginClass finds the listed plugin a connector.class names: its class,
  // its simple name, with or without the Connector suffix; else the name
  // as given, for the worker to judge.
  function pluginClass(cls) {
    const norm = s => s.replace(/Connector$/, '').toLowerCase();
    const found = plugins.find(p => p.class === cls) ||
      plugins.find(p => norm(shortClass(p.class)) === norm(shortClass(cls)));
    if (found) return found.class;
    return cls;
  }

  if (editing) {
    const values = new Map(Object.entries(original).filter(([k, v]) => k !== 'connector.class' && v !== HIDDEN));
    await choosePlugin(pluginClass(original['connector.class']), values);
  } else {
    const preset = new URLSearchParams(location.hash.split('?')[1] || '').get('plugin');
    if (preset) await choosePlugin(pluginClass(preset), new Map());
  }
}
