import { h, s, formatNumber } from './dom.js';

const W = 300;
const H = 70;

/**
 * A small time-series chart in plain SVG: one line per series over the sampled window, the last
 * value and the window's maximum as text (the numbers are what a reader compares, the line shows
 * a stall and its recovery).
 */
export function chart({ key, title, series, format = (v) => formatNumber(v, 1) }) {
  const all = series.flatMap((x) => x.points).filter((p) => p.v !== null);
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const max = Math.max(1e-9, ...all.map((p) => p.v));
  const x = (t) => (t1 === t0 ? W : ((t - t0) / (t1 - t0)) * W);
  const y = (v) => H - 2 - (v / max) * (H - 6);
  const lines = series.map((ser, i) => {
    const pts = ser.points.filter((p) => p.v !== null).map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
    return s('polyline', { points: pts.join(' '), class: `line line-${i}`, fill: 'none' });
  });
  const legend = series.map((ser, i) => {
    const last = ser.points.at(-1)?.v;
    return h(
      'span',
      { class: `legend legend-${i}`, 'data-series': ser.name, 'data-last': last ?? '' },
      `${ser.name} `,
      h('strong', {}, last == null ? '–' : format(last)),
    );
  });
  return h(
    'figure',
    { class: 'chart', 'data-chart': key },
    h('figcaption', {}, h('span', { class: 'chart-title' }, title), ' ', legend, h('span', { class: 'muted' }, ` max ${all.length ? format(max) : '–'}`)),
    s(
      'svg',
      { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `${title} over the last minutes` },
      s('line', { x1: 0, x2: W, y1: H - 1, y2: H - 1, class: 'axis' }),
      lines,
    ),
  );
}
