// MovieFlix: a user's resume points, profile (liked / disliked) and recommendations.
import { el } from './api.js';
import { num, table, time } from './tables.js';

// The picker is made once and kept: redrawing it every second would close it under the user.
let picker;
let content;

function keepPicker(body, users, user, set) {
  if (!picker || !body.contains(picker)) {
    picker = el('select', { 'aria-label': 'user', onchange: (e) => set({ user: e.target.value }) });
    content = el('div');
    body.replaceChildren(el('div', { class: 'row' }, el('label', {}, 'User ', picker)), content);
  }
  const options = [...picker.options].map((o) => o.value);
  if (options.length !== users.length || options.some((u, i) => u !== users[i])) {
    picker.replaceChildren(...users.map((u) => el('option', { value: u }, u)));
  }
  if (user) picker.value = user;
}

export function renderMovieflix(body, data, { set }) {
  keepPicker(body, data.users, data.user, set);
  if (!data.user) return content.replaceChildren(el('p', { class: 'hint' }, 'no viewers yet'));
  const recs = data.recommendations;
  content.replaceChildren(
    el('h3', {}, 'Resume points'),
    table(['Show', 'Episode', 'Position (s)', 'At'], data.resume.map((r) => [r.showId, r.episodeId, num(Math.round(r.positionSec)), time(r.at)])),
    el('h3', {}, 'Profile'),
    table(['Show', 'Status', 'Episodes', 'Watched (min)', 'Last active'],
      data.profile.map((p) => [p.showId, el('td', { class: `status-${p.status}` }, p.status), num(`${p.episodesCompleted}/${p.episodesTotal}`),
        num(Math.round(p.watchedSec / 60)), time(p.lastActiveAt)])),
    el('h3', {}, 'Recommendations', el('span', { class: 'hint' }, recs ? ` as of ${time(recs.at)}` : '')),
    table(['Show', 'Score', 'Why'], (recs?.items ?? []).map((r) => [r.showId, num(r.score), r.reason ?? '–']), 'none yet'),
  );
}
