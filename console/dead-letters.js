// Dead letters: the records of an application's dead-letter topic with the reasons they carry, and
// a re-drive of one — or of all that failed for one reason — to its original topic (the record then
// carries kastor.redriven-from).
import { api, el } from './api.js';

const $ = (id) => document.getElementById(id);
const MAX_VALUE = 160;

async function load() {
  const app = $('dlq-app').value;
  if (!app) return;
  try {
    const { topic, records } = await api(`/console/api/dead-letters/${encodeURIComponent(app)}`);
    $('dlq-topic').textContent = `${topic}: ${records.length} record${records.length === 1 ? '' : 's'}`;
    $('dlq').tBodies[0].replaceChildren(...records.map((r) => row(app, r)));
    $('dlq-reasons').replaceChildren(...reasons(app, records));
  } catch (e) {
    $('dlq-message').textContent = e.message;
  }
}

/** One line per reason: how many failed for it, and a button that re-drives them all. */
function reasons(app, records) {
  const counts = new Map();
  for (const r of records) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => {
    const all = el('button', {
      type: 'button',
      onclick: async () => {
        all.disabled = true;
        try {
          const done = await api(`/console/api/dead-letters/${encodeURIComponent(app)}/redrive-all`, { method: 'POST', body: { reason } });
          $('dlq-message').textContent = `re-driven ${done.redriven.length} for "${reason}"` +
            (done.refused.length ? `; ${done.refused.length} could not go back: ${done.refused.map((x) => `${x.from} (${x.why})`).join(', ')}` : '');
          setTimeout(load, 1_000);
        } catch (e) {
          all.disabled = false;
          $('dlq-message').textContent = `re-drive refused: ${e.message}`;
        }
      },
    }, `Re-drive all ${n}`);
    return el('div', { class: 'row', 'data-reason': reason }, el('span', { class: 'reason' }, reason), ' ', all);
  });
}

function row(app, r) {
  const value = r.value ?? 'null';
  const redrive = el('button', {
    type: 'button',
    onclick: async () => {
      redrive.disabled = true;
      try {
        const sent = await api(`/console/api/dead-letters/${encodeURIComponent(app)}/redrive`, { method: 'POST', body: { partition: r.partition, offset: r.offset } });
        $('dlq-message').textContent = `re-driven ${sent.from} to ${sent.topic}[${sent.partition}] at ${sent.offset}`;
        setTimeout(load, 1_000);
      } catch (e) {
        redrive.disabled = false;
        $('dlq-message').textContent = `re-drive refused: ${e.message}`;
      }
    },
  }, 'Re-drive');
  return el('tr', { 'data-offset': `${r.partition}/${r.offset}` },
    el('td', {}, new Date(r.timestamp).toLocaleString()),
    el('td', {}, `[${r.partition}] ${r.offset}`),
    el('td', {}, `${r.from.topic}[${r.from.partition}] ${r.from.offset}`,
      r.headers['kastor.redriven-from'] ? el('div', { class: 'hint' }, `re-driven from ${r.headers['kastor.redriven-from']}`) : ''),
    el('td', {}, r.stage),
    el('td', { class: 'reason' }, r.reason),
    el('td', {}, r.key ?? ''),
    el('td', { class: 'value', title: value }, value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value),
    el('td', {}, redrive));
}

export function startDeadLetters(apps) {
  $('dlq-app').replaceChildren(...apps.map((a) => el('option', { value: a.name }, a.name)));
  $('dlq-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  $('dlq-app').addEventListener('change', load);
  document.addEventListener('console:view', (e) => { if (e.detail === 'dead-letters') void load(); });
}
