// The applications' views: a tab for each application the process hosts that has one, each read
// from `/console/api/apps/<app>/view` (its read model) once a second while its tab is open.
import { api, el } from './api.js';
import { renderBank } from './view-bank.js';
import { renderGettaxi } from './view-gettaxi.js';
import { renderMovieflix } from './view-movieflix.js';
import { renderOps } from './view-ops.js';
import { renderSocial } from './view-social.js';

const RENDERERS = { social: renderSocial, bank: renderBank, gettaxi: renderGettaxi, movieflix: renderMovieflix, ops: renderOps };

export function startAppViews(apps) {
  const nav = document.querySelector('header nav');
  const main = document.getElementById('views');
  for (const app of apps) {
    const render = RENDERERS[app.name];
    if (!app.view || !render) continue;
    const id = `app-${app.name}`;
    nav.append(el('a', { href: `#${id}`, 'data-nav': id }, app.view));
    const error = el('p', { class: 'error', role: 'alert' });
    const body = el('div', { class: 'app-view' });
    const section = el('section', { id, 'data-view': id, hidden: '' }, error, body);
    main.append(section);
    const state = { query: {} };
    let timer;
    const load = async () => {
      const params = new URLSearchParams(Object.entries(state.query).filter(([, v]) => v !== undefined && v !== ''));
      try {
        const data = await api(`/console/api/apps/${encodeURIComponent(app.name)}/view${params.size ? `?${params}` : ''}`);
        error.textContent = '';
        render(body, data, { query: state.query, set: (q) => { Object.assign(state.query, q); void load(); } });
      } catch (e) {
        error.textContent = e.message;
      }
    };
    document.addEventListener('console:view', (e) => {
      clearInterval(timer);
      if (e.detail !== id) return;
      void load();
      timer = setInterval(load, 1000);
    });
  }
}
