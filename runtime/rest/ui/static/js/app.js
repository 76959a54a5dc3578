// The console's entry point: a hash router over the pages, the header's
// worker line, and the shared metrics store.

import { api } from './api.js';
import { h, mount } from './dom.js';
import { metrics } from './metrics.js';
import { connectorsPage } from './pages/connectors.js';
import { connectorPage } from './pages/connector.js';
import { editorPage } from './pages/editor.js';
import { topicsPage, topicPage } from './pages/topics.js';
import { clusterPage } from './pages/cluster.js';

// Each route: the hash pattern, the nav section to highlight, and the page
// to render with the pattern's (decoded) captures.
const routes = [
  [/^#\/connectors$/, 'connectors', connectorsPage],
  [/^#\/new(\?.*)?$/, 'new', (main, ctx) => editorPage(main, ctx, null)],
  [/^#\/connectors\/([^/]+)\/edit$/, 'connectors', editorPage],
  [/^#\/connectors\/([^/]+)$/, 'connectors', connectorPage],
  [/^#\/topics$/, 'topics', topicsPage],
  [/^#\/topics\/(.+)$/, 'topics', topicPage],
  [/^#\/cluster$/, 'cluster', clusterPage],
];

let current = null;

// A page is a function (main, ctx, ...params) that renders into main. It
// registers its timers and subscriptions through ctx, which ends them all
// when the user leaves the page.
function pageContext() {
  const stops = [];
  return {
    every(ms, fn) {
      let live = true, timer;
      const run = async () => {
        try { await fn(); } catch (e) { console.error(e); }
        if (live) timer = setTimeout(run, ms);
      };
      run();
      stops.push(() => { live = false; clearTimeout(timer); });
    },
    onMetrics(fn) {
      stops.push(metrics.subscribe(fn));
      fn(metrics);
    },
    onDispose(fn) { stops.push(fn); },
    dispose() { stops.splice(0).forEach(f => f()); },
  };
}

function route() {
  const hash = location.hash || '#/connectors';
  if (current) current.dispose();
  current = pageContext();
  const main = document.getElementById('main');
  for (const [re, section, page] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('active', a.dataset.section === section));
    const params = m.slice(1).map(decodeURIComponent);
    Promise.resolve(page(main, current, ...params)).catch(e => {
      mount(main, h('div', { class: 'banner error' }, e.message));
    });
    window.scrollTo(0, 0);
    return;
  }
  location.replace('#/connectors');
}

async function header() {
  const el = document.getElementById('worker-info');
  try {
    const [info, cluster] = await Promise.all([api.server(), api.cluster()]);
    mount(el, 'worker ', h('b', {}, cluster.worker_id), ' · Conflux ', info.version,
      info.kafka_cluster_id ? [' · Kafka cluster ', h('b', {}, info.kafka_cluster_id)] : null);
  } catch (e) {
    mount(el, 'worker unreachable');
  }
}

window.addEventListener('hashchange', route);
metrics.start();
header();
route();
