// A small canvas line plotter for time series: lines with gaps where a
// point is null, a nice y scale from zero, time ticks, a legend and a
// hover read-out. Each plot's canvas carries data-points (points drawn),
// data-nonzero (points above zero) and data-last (the first line's newest
// point), which tests and curious users can read.

import { h, setText } from './dom.js';
import { clock } from './format.js';

export const palette = ['#1f4fd1', '#12a37a', '#e0702a', '#8b5cf6', '#d6336c', '#0ea5c6', '#a16207', '#475569'];

// The time span every plot shows, in milliseconds; changed by spanPicker.
let span = 5 * 60 * 1000;
const plots = new Set();

// spanPicker returns buttons that set the span of every plot.
export function spanPicker() {
  const choices = [['1 min', 60e3], ['5 min', 300e3], ['15 min', 900e3]];
  const seg = h('div', { class: 'seg', role: 'group', 'aria-label': 'Time span' });
  const render = () => seg.replaceChildren(...choices.map(([label, ms]) =>
    h('button', { class: ms === span ? 'on' : '', onclick: () => { span = ms; render(); plots.forEach(p => p.draw()); } }, label)));
  render();
  return seg;
}

export class Plot {
  // title names the plot; format turns a value into text; height is the
  // canvas height in CSS pixels.
  // binary picks grid steps in powers of 1024 (for bytes).
  constructor({ title, format, height = 170, id, binary = false }) {
    this.format = format;
    this.binary = binary;
    this.height = height;
    this.times = [];
    this.lines = [];
    this.hover = null;
    this.canvas = h('canvas', { height, 'aria-label': title, role: 'img', dataset: { points: 0, nonzero: 0, last: '' } });
    if (id) this.canvas.id = id;
    this.nowEl = h('span', { class: 'now' });
    this.legend = h('div', { class: 'legend' });
    this.tip = h('div', { class: 'plot-tip', hidden: true });
    this.el = h('figure', { class: 'plot' },
      h('figcaption', {}, h('span', { class: 'title' }, title), this.nowEl),
      h('div', { class: 'plot-area' }, this.canvas, this.tip),
      this.legend);
    this.canvas.addEventListener('mousemove', e => { this.hover = e.offsetX; this.draw(); });
    this.canvas.addEventListener('mouseleave', () => { this.hover = null; this.draw(); });
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.canvas);
    plots.add(this);
  }

  // dispose stops watching the plot's size.
  dispose() {
    this.resize.disconnect();
    plots.delete(this);
  }

  // update replaces the data: times in Unix ms, lines of {label, values}
  // aligned with times; now is the value shown in the caption.
  update(times, lines, now) {
    this.times = times;
    this.lines = lines;
    setText(this.nowEl, now == null ? '–' : this.format(now));
    const legend = lines.length > 1 || lines.length === 1 && lines[0].label;
    this.legend.replaceChildren(...(legend ? lines.map((l, i) =>
      h('span', {}, h('i', { class: 'swatch', dataset: { color: i } }), l.label)) : []));
    this.legend.querySelectorAll('i').forEach((el, i) => { el.style.background = color(lines[i], i); });
    this.draw();
  }

  draw() {
    const cv = this.canvas, W = cv.clientWidth, H = this.height;
    if (!W) return;
    const dpr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
      cv.width = Math.round(W * dpr);
      cv.height = Math.round(H * dpr);
    }
    const g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const m = { l: 60, r: 12, t: 8, b: 22 };
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const times = this.times;
    const tEnd = times.length ? times[times.length - 1] : Date.now();
    const tStart = tEnd - span;
    let first = times.findIndex(t => t >= tStart);
    if (first < 0) first = times.length;

    let max = 0, points = 0, nonzero = 0;
    for (const l of this.lines) {
      for (let i = first; i < times.length; i++) {
        const v = l.values[i];
        if (v == null || !Number.isFinite(v)) continue;
        points++;
        if (v > 0) nonzero++;
        if (v > max) max = v;
      }
    }
    const { top, step } = this.binary ? binaryScale(max) : niceScale(max);
    const x = t => m.l + (t - tStart) / span * pw;
    const y = v => m.t + ph - v / top * ph;

    // Grid and axes.
    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    g.textBaseline = 'middle';
    g.textAlign = 'right';
    for (let v = 0; v <= top + step / 2; v += step) {
      const yy = Math.round(y(v)) + 0.5;
      g.strokeStyle = v === 0 ? '#c9ced6' : '#eef0f3';
      g.beginPath(); g.moveTo(m.l, yy); g.lineTo(W - m.r, yy); g.stroke();
      g.fillStyle = '#8a93a5';
      g.fillText(this.format(v), m.l - 6, yy);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    const tick = [10e3, 15e3, 30e3, 60e3, 120e3, 300e3].find(s => span / s <= 6) || 300e3;
    for (let t = Math.ceil(tStart / tick) * tick; t <= tEnd; t += tick) {
      const xx = Math.round(x(t)) + 0.5;
      g.strokeStyle = '#f2f3f6';
      g.beginPath(); g.moveTo(xx, m.t); g.lineTo(xx, m.t + ph); g.stroke();
      g.fillStyle = '#8a93a5';
      g.fillText(clock(t).slice(0, tick >= 60e3 ? 5 : 8), xx, m.t + ph + 5);
    }
    if (first >= times.length) {
      g.fillStyle = '#8a93a5';
      g.textBaseline = 'middle';
      g.fillText('No data yet', m.l + pw / 2, m.t + ph / 2);
    }

    // Lines, the first filled when alone.
    g.save();
    g.beginPath(); g.rect(m.l, m.t - 2, pw, ph + 4); g.clip();
    this.lines.forEach((l, li) => {
      const c = color(l, li);
      g.strokeStyle = c;
      g.lineWidth = 1.75;
      g.lineJoin = 'round';
      let run = [];
      const flush = () => {
        if (run.length === 0) return;
        g.beginPath();
        run.forEach(([xx, yy], k) => k ? g.lineTo(xx, yy) : g.moveTo(xx, yy));
        if (run.length === 1) g.arc(run[0][0], run[0][1], 1.5, 0, 2 * Math.PI);
        g.stroke();
        if (this.lines.length === 1) {
          g.lineTo(run[run.length - 1][0], y(0));
          g.lineTo(run[0][0], y(0));
          g.closePath();
          g.fillStyle = c + '1a';
          g.fill();
        }
        run = [];
      };
      for (let i = Math.max(0, first - 1); i < times.length; i++) {
        const v = l.values[i];
        if (v == null || !Number.isFinite(v)) { flush(); continue; }
        run.push([x(times[i]), y(v)]);
      }
      flush();
    });
    g.restore();

    // Hover read-out.
    if (this.hover != null && times.length > first) {
      const t = tStart + (this.hover - m.l) / pw * span;
      let best = first;
      for (let i = first; i < times.length; i++) if (Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
      const xx = Math.round(x(times[best])) + 0.5;
      g.strokeStyle = '#9aa3b7';
      g.beginPath(); g.moveTo(xx, m.t); g.lineTo(xx, m.t + ph); g.stroke();
      this.tip.replaceChildren(h('b', {}, clock(times[best])),
        ...this.lines.map((l, li) => h('div', {}, h('i', { class: 'swatch', dataset: { color: li } }),
          (l.label ? l.label + ': ' : '') + (l.values[best] == null ? '–' : this.format(l.values[best])))));
      this.tip.querySelectorAll('i').forEach((el, li) => { el.style.background = color(this.lines[li], li); });
      this.tip.hidden = false;
      this.tip.style.left = Math.min(xx + 10, W - 170) + 'px';
    } else {
      this.tip.hidden = true;
    }

    const lastV = this.lines.length ? this.lines[0].values[times.length - 1] : null;
    Object.assign(cv.dataset, { points, nonzero, last: lastV == null ? '' : String(lastV) });
  }
}

function color(line, i) {
  return line.color || palette[i % palette.length];
}

// niceScale returns the top of a y axis from zero that holds max, and the
// step of its four or five grid lines: 1, 2, 2.5 or 5 times a power of 10.
export function niceScale(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max * 1.08 / 4;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(f => f * p).find(s => s >= raw);
  return { top: step * Math.ceil(max * 1.08 / step), step };
}

// binaryScale is niceScale in units of 1024^k, so byte axes read 256 KiB,
// 512 KiB … rather than 195 KiB, 391 KiB.
export function binaryScale(max) {
  let unit = 1;
  while (max / unit >= 1024) unit *= 1024;
  const { top, step } = niceScale(max / unit);
  return { top: top * unit, step: step * unit };
}
