// The entity inspector: one key's actor (live or passivated) as the process holds it, re-read
// every second while "follow live" is on and the view is open, with the last records that reached
// it and the events it emitted. The key field suggests the stored keys that start with what is typed.
import { api, el, fmt } from './api.js';
import { table } from './tables.js';

const $ = (id) => document.getElementById(id);
let current;
let timer;

function fill(select, names) {
  select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
}

function render(view) {
  $('entity').hidden = false;
  $('entity-value').textContent = typeof view.value === 'string' ? view.value : JSON.stringify(view.value);
  $('entity-live').textContent = view.live ? 'live (in memory)' : 'passivated (read from its snapshot)';
  $('entity-partition').textContent = String(view.partition);
  $('entity-worker').textContent = view.worker === undefined ? 'this thread (one worker)' : `worker ${view.worker}`;
  $('entity-offsets').replaceChildren(...view.offsets.map((o) => el('div', {}, `${o.topic}[${o.partition}] next ${o.offset ?? 'none yet'}`)));
  $('entity-bytes').textContent = view.snapshotBytes > 0 ? `${fmt(view.snapshotBytes)} bytes` : 'not committed yet';
  $('entity-timers').replaceChildren(...(view.timers.length === 0
    ? ['none']
    : view.timers.map((t) => el('div', {}, `${t.event} due ${new Date(t.due).toLocaleString()}`))));
  $('entity-context').textContent = JSON.stringify(view.context, null, 2);
}

/** Records as rows: where, when, the event's type and its value. */
function trailTable(records) {
  return table(['topic', 'partition', 'offset', 'at', 'type', 'value'], records.map((r) => [
    r.topic, String(r.partition), String(r.offset), new Date(r.timestamp).toLocaleTimeString(), r.type ?? '',
    el('code', {}, JSON.stringify(r.value)),
  ]), 'none in the tail of the log read back');
}

async function load() {
  if (!current) return;
  const { app, entity, key } = current;
  const path = `/console/api/entities/${encodeURIComponent(app)}/${encodeURIComponent(entity)}/${encodeURIComponent(key)}`;
  try {
    const [view, trail] = await Promise.all([api(path), api(`${path}/trail?limit=10`)]);
    render(view);
    $('entity-inputs').replaceChildren(trailTable(trail.inputs));
    $('entity-outputs').replaceChildren(trailTable(trail.outputs));
    $('inspect-error').textContent = '';
  } catch (e) {
    $('entity').hidden = true;
    $('inspect-error').textContent = e.message;
  }
}

/** The stored keys that start with what is typed, as the key field's suggestions. */
let searching;
function suggest() {
  clearTimeout(searching);
  searching = setTimeout(async () => {
    const app = encodeURIComponent($('inspect-app').value);
    const entity = encodeURIComponent($('inspect-entity').value);
    const prefix = encodeURIComponent($('inspect-key').value.trim());
    try {
      const { keys } = await api(`/console/api/entities/${app}/${entity}?prefix=${prefix}&limit=20`);
      $('inspect-keys').replaceChildren(...keys.map((k) => el('option', { value: k })));
    } catch {
      $('inspect-keys').replaceChildren();
    }
  }, 150);
}

function follow() {
  clearInterval(timer);
  const visible = !$('inspector').hidden;
  if (current && visible && $('inspect-follow').checked) timer = setInterval(load, 1_000);
}

export function startInspector(apps) {
  const withEntities = apps.filter((a) => a.entities.length > 0);
  const entitiesOf = () => withEntities.find((a) => a.name === $('inspect-app').value)?.entities ?? [];
  fill($('inspect-app'), withEntities.map((a) => a.name));
  fill($('inspect-entity'), entitiesOf());
  $('inspect-app').addEventListener('change', () => fill($('inspect-entity'), entitiesOf()));
  $('inspect-form').addEventListener('submit', (e) => {
    e.preventDefault();
    current = { app: $('inspect-app').value, entity: $('inspect-entity').value, key: $('inspect-key').value.trim() };
    void load();
    follow();
  });
  $('inspect-follow').addEventListener('change', follow);
  $('inspect-key').addEventListener('input', suggest);
  $('inspect-key').addEventListener('focus', suggest);
  document.addEventListener('console:view', follow);
}
