// The demo traffic's switch in the header: seeded traffic through the applications' own routes
// (src/console/demo.ts), on and off, for a newcomer to see every view move.
import { api } from './api.js';

const $ = (id) => document.getElementById(id);

function show(state) {
  $('demo').hidden = !state.available;
  $('demo').textContent = `Demo traffic: ${state.on ? 'on' : 'off'}`;
  $('demo').setAttribute('aria-pressed', String(state.on));
}

export async function startDemoSwitch() {
  let state = await api('/console/api/demo');
  show(state);
  $('demo').addEventListener('click', async () => {
    $('demo').disabled = true;
    try {
      state = await api('/console/api/demo', { method: 'POST', body: { on: !state.on } });
      show(state);
    } finally {
      $('demo').disabled = false;
    }
  });
}
