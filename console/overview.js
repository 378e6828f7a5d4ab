// The overview: a server-sent event stream of samples (one a second while the page watches),
// opened with a single-use ticket; a table of the stages and two uPlot charts over the minutes kept.
import uPlot from '/console/vendor/uplot.js';
import { api, el, fmt } from './api.js';

const $ = (id) => document.getElementById(id);
const WINDOW = 300;
const times = [];
const rateIn = [];
const rateOut = [];
const lags = [];
let rateChart;
let lagChart;
/** The <details> a user opened, kept open across the table's redraws. */
const opened = new Set();

function charts() {
  const width = Math.max(320, Math.floor(($('overview').clientWidth - 80) / 2));
  const opts = (series) => ({ width, height: 180, series: [{}, ...series], axes: [{}, { size: 60 }], legend: { live: false } });
  rateChart = new uPlot(opts([{ label: 'in/s', stroke: '#2563eb', width: 2 }, { label: 'out/s', stroke: '#16a34a', width: 2 }]), [times, rateIn, rateOut], $('chart-rate'));
  lagChart = new uPlot(opts([{ label: 'lag', stroke: '#dc2626', width: 2 }]), [times, lags], $('chart-lag'));
}

function plot(point) {
  times.push(point.at / 1000);
  rateIn.push(point.inPerSecond);
  rateOut.push(point.outPerSecond);
  lags.push(point.lag);
  for (const a of [times, rateIn, rateOut, lags]) if (a.length > WINDOW) a.splice(0, a.length - WINDOW);
}

function redraw() {
  rateChart.setData([times, rateIn, rateOut]);
  lagChart.setData([times, lags]);
}

// One line per input topic (sums over its partitions), each partition in a <details> below it.
function partitionsOf(stage) {
  const cell = el('div', { class: 'partitions' });
  for (const topic of stage.topics) {
    const parts = stage.partitions.filter((p) => p.topic === topic);
    const here = parts.filter((p) => stage.assigned.includes(`${p.topic}/${p.partition}`)).length;
    const sum = (f) => parts.reduce((n, p) => n + p[f], 0);
    const list = el('ul', {});
    for (const p of parts) {
      const mine = stage.assigned.includes(`${p.topic}/${p.partition}`);
      list.append(el('li', { class: mine ? '' : 'not-mine' }, `[${p.partition}] ${fmt(p.committed)} / ${fmt(p.high)}${p.lag > 0 ? ` (${fmt(p.lag)})` : ''}`));
    }
    const id = `${stage.name} ${topic}`;
    const details = el('details', { ontoggle: () => (details.open ? opened.add(id) : opened.delete(id)) },
      el('summary', {}, `${topic} ×${parts.length} (${here} here): ${fmt(sum('committed'))} / ${fmt(sum('high'))}`, sum('lag') > 0 ? el('b', {}, ` (${fmt(sum('lag'))})`) : ''),
      list);
    details.open = opened.has(id);
    cell.append(details);
  }
  return cell;
}

function row(stage) {
  const cell = (field, value, cls = 'num') => el('td', { class: cls, 'data-field': field }, value);
  return el('tr', { 'data-stage': stage.name, class: stage.status === 'running' ? '' : 'down' },
    el('th', { scope: 'row' }, stage.name),
    cell('status', stage.status + (stage.restored ? '' : ' (restoring)'), 'status'),
    el('td', {}, partitionsOf(stage)),
    cell('lag', fmt(stage.lag)),
    cell('eventsIn', fmt(stage.eventsIn)),
    cell('inPerSecond', fmt(stage.inPerSecond, 1)),
    cell('eventsOut', fmt(stage.eventsOut)),
    cell('outPerSecond', fmt(stage.outPerSecond, 1)),
    cell('liveActors', fmt(stage.liveActors)),
    cell('passivations', fmt(stage.passivations)),
    cell('restarts', fmt(stage.restarts)),
    cell('retries', fmt(stage.retries)),
    cell('deadLetters', fmt(stage.deadLetters)));
}

function render(sample) {
  $('stages').tBodies[0].replaceChildren(...sample.stages.map(row));
  const health = $('health');
  health.textContent = `${sample.healthy ? 'healthy' : 'unhealthy'} · ${sample.ready ? 'ready' : 'not ready'}`;
  health.className = `badge ${sample.healthy && sample.ready ? 'ok' : 'bad'}`;
  $('sampled-at').textContent = `sampled ${new Date(sample.at).toLocaleTimeString()}`;
}

async function connect() {
  let ticket;
  try {
    ticket = (await api('/console/api/stream/ticket', { method: 'POST' })).ticket;
  } catch (e) {
    $('sampled-at').textContent = `live stream unavailable: ${e.message}; retrying`;
    setTimeout(connect, 3_000);
    return;
  }
  const source = new EventSource(`/console/api/stream?ticket=${encodeURIComponent(ticket)}`);
  source.addEventListener('history', (e) => {
    times.length = rateIn.length = rateOut.length = lags.length = 0;
    for (const point of JSON.parse(e.data)) plot(point);
    redraw();
  });
  source.addEventListener('sample', (e) => {
    const sample = JSON.parse(e.data);
    render(sample);
    plot(sample);
    redraw();
  });
  // A ticket is spent once: EventSource's own reconnect would be refused, so a new one is asked for.
  source.addEventListener('error', () => {
    source.close();
    $('sampled-at').textContent = 'live stream lost; reconnecting';
    setTimeout(connect, 2_000);
  });
}

export function startOverview() {
  charts();
  void connect();
}
