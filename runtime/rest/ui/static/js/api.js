// The console's only path to the worker: Kafka Connect's REST API (the
// same endpoints the CLI uses) and the console's own read-only endpoints
// under /ui/api. Requests are same-origin, so whatever authentication the
// REST listener asks for is sent along by the browser.

// ApiError carries the REST API's error entity.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'The worker does not answer: ' + e.message);
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!resp.ok) {
    const msg = data && data.message || `${resp.status} ${resp.statusText}`;
    throw new ApiError(resp.status, msg);
  }
  return data;
}

const c = name => '/connectors/' + encodeURIComponent(name);
const q = params => new URLSearchParams(params).toString();

export const api = {
  server: () => request('GET', '/'),
  connectors: () => request('GET', '/connectors?expand=status&expand=info'),
  connector: name => request('GET', c(name)),
  status: name => request('GET', c(name) + '/status'),
  config: name => request('GET', c(name) + '/config'),
  create: (name, config) => request('POST', '/connectors', { name, config }),
  patchConfig: (name, patch) => request('PATCH', c(name) + '/config', patch),
  pause: name => request('PUT', c(name) + '/pause'),
  resume: name => request('PUT', c(name) + '/resume'),
  stop: name => request('PUT', c(name) + '/stop'),
  restart: (name, includeTasks, onlyFailed) =>
    request('POST', c(name) + '/restart?' + q({ includeTasks, onlyFailed })),
  restartTask: (name, task) => request('POST', c(name) + '/tasks/' + task + '/restart'),
  remove: name => request('DELETE', c(name)),
  plugins: () => request('GET', '/connector-plugins'),
  pluginConfig: plugin => request('GET', '/connector-plugins/' + encodeURIComponent(plugin) + '/config'),
  validate: (plugin, config) => request('PUT', '/connector-plugins/' + encodeURIComponent(plugin) + '/config/validate', config),
  metrics: (since, connector) => request('GET', '/ui/api/metrics?' + q(connector == null ? { since } : { since, connector })),
  cluster: () => request('GET', '/ui/api/cluster'),
  topics: () => request('GET', '/ui/api/topics'),
  records: (topic, partition, limit) =>
    request('GET', `/ui/api/topics/${encodeURIComponent(topic)}/partitions/${partition}/records?` + q({ limit })),
};
