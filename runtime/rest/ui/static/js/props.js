// Parsing of pasted connector configs: Kafka Connect .properties files, and
// JSON as POST /connectors takes it ({"name","config"}) or as a flat
// config object.

// parseConfig returns {name, config} from pasted text; it throws an Error
// saying what is wrong.
export function parseConfig(text) {
  const t = text.trim();
  if (t === '') throw new Error('Nothing to read: paste a .properties file or a JSON config.');
  if (t.startsWith('{')) {
    let obj;
    try { obj = JSON.parse(t); } catch (e) { throw new Error('The JSON does not parse: ' + e.message); }
    const config = obj.config && typeof obj.config === 'object' ? obj.config : obj;
    const out = {};
    for (const [k, v] of Object.entries(config)) {
      if (v !== null && typeof v === 'object') throw new Error(`The value of ${k} is not a string, number or boolean.`);
      out[k] = v == null ? '' : String(v);
    }
    return { name: obj.config ? obj.name ?? out.name : out.name, config: out };
  }
  const config = parseProperties(t);
  return { name: config.name, config };
}

// parseProperties reads Java .properties text: key=value, key:value or
// key value; # and ! comments; a trailing backslash continues a line;
// \t \n \r \f \uXXXX and \<char> escapes.
export function parseProperties(text) {
  const lines = text.split(/\r\n|\r|\n/);
  const out = {};
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    let k = 0;
    while (k < line.length && !'=: \t\f'.includes(line[k])) k += line[k] === '\\' ? 2 : 1;
    const key = unescape(line.slice(0, k));
    let rest = line.slice(k).replace(/^[ \t\f]*/, '');
    if (rest[0] === '=' || rest[0] === ':') rest = rest.slice(1).replace(/^[ \t\f]*/, '');
    out[key] = unescape(rest);
  }
  return out;
}

function endsWithContinuation(line) {
  const m = line.match(/\\+$/);
  return m != null && m[0].length % 2 === 1;
}

function unescape(s) {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return { t: '\t', n: '\n', r: '\r', f: '\f' }[c] ?? c;
  });
}
