// Number and time formatting for tables and plots.

const units = ['', 'k', 'M', 'G', 'T'];

// si formats v with k/M/G suffixes and about three significant digits.
export function si(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  const neg = v < 0;
  let x = Math.abs(v), i = 0;
  while (x >= 999.5 && i < units.length - 1) { x /= 1000; i++; }
  const s = x === 0 ? '0' : x >= 100 || Number.isInteger(x) && i === 0 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  return (neg ? '-' : '') + s.replace(/\.0+$|(\.\d*?)0+$/, '$1') + units[i];
}

// rate formats records per second.
export const rate = v => v == null ? '–' : si(v) + '/s';

// bytes formats a byte count (binary units), bytesRate bytes per second.
export function bytes(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v, i = 0;
  while (x >= 1023.5 && i < u.length - 1) { x /= 1024; i++; }
  return (i === 0 ? x.toFixed(0) : x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)) + ' ' + u[i];
}
export const bytesRate = v => v == null ? '–' : bytes(v) + '/s';

// count formats a whole number with thousands separators.
export const count = v => v == null || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');

// clock formats Unix milliseconds as local HH:MM:SS.
export function clock(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map(n => String(n).padStart(2, '0')).join(':');
}

// stamp formats Unix milliseconds as a local date and time.
export function stamp(ms) {
  if (ms == null || ms < 0) return '–';
  const d = new Date(ms);
  return d.toLocaleDateString('en-CA') + ' ' + clock(ms) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

// shortClass returns the simple name of a Java-style class name.
export const shortClass = c => (c || '').split('.').pop();
