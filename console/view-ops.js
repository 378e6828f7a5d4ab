// Ops: per service and metric, the per-minute min, p50, p99 and max (uPlot) and the latest minute's count.
import uPlot from '/console/vendor/uplot.js';
import { el, fmt } from './api.js';

const charts = new Map(); // `${service}/${metric}` → { plot, node }

function series(minutes, metric) {
  const xs = [];
  const cols = { min: [], p50: [], p99: [], max: [] };
  for (const m of minutes) {
    const v = m.metrics.find((x) => x.name === metric);
    if (!v) continue;
    xs.push(Date.parse(m.minute) / 1000);
    for (const k of Object.keys(cols)) cols[k].push(v[k]);
  }
  return [xs, cols.min, cols.p50, cols.p99, cols.max];
}

export function renderOps(body, data) {
  const services = data.services.filter((s) => s.minutes.length > 0);
  if (services.length === 0) {
    charts.clear();
    return body.replaceChildren(el('p', { class: 'hint' }, `no aggregates since ${new Date(data.since).toLocaleTimeString()}`));
  }
  const wanted = [];
  for (const s of services) {
    const names = [...new Set(s.minutes.flatMap((m) => m.metrics.map((x) => x.name)))].sort();
    for (const name of names) {
      const key = `${s.service}/${name}`;
      const latest = s.minutes.at(-1).metrics.find((x) => x.name === name);
      let chart = charts.get(key);
      if (!chart) {
        const holder = el('div');
        const caption = el('figcaption');
        const node = el('figure', { 'data-metric': key }, caption, holder);
        const plot = new uPlot({
          width: 420, height: 180,
          scales: { x: { time: true } },
          series: [{}, { label: 'min', stroke: '#9ca3af' }, { label: 'p50', stroke: '#2563eb', width: 2 },
            { label: 'p99', stroke: '#dc2626', width: 2 }, { label: 'max', stroke: '#f59e0b' }],
        }, series(s.minutes, name), holder);
        chart = { plot, node, caption };
        charts.set(key, chart);
      } else {
        chart.plot.setData(series(s.minutes, name));
      }
      chart.caption.textContent = `${s.service} · ${name} — last minute: ${fmt(latest?.count)} samples, p50 ${fmt(latest?.p50, 2)}, p99 ${fmt(latest?.p99, 2)}`;
      wanted.push(chart.node);
    }
  }
  if (wanted.length !== body.children.length || wanted.some((n, i) => body.children[i] !== n)) body.replaceChildren(...wanted);
  body.classList.add('charts');
}
