// MovieFlix: a user's resume points, profile (liked / disliked) and recommendations.
import { el } from './api.js';
import { num, table, time } from './tables.js';

export function renderMovieflix(body, data, { set }) {
  const picker = el('select', { 'aria-label': 'user', onchange: (e) => set({ user: e.target.value }) },
    ...data.users.map((u) => el('option', { value: u }, u)));
  if (data.user) picker.value = data.user;
  const focused = document.activeElement?.tagName === 'SELECT' && body.contains(document.activeElement);
  if (focused) return; // the user is choosing: do not redraw under the open list
  if (!data.user) return body.replaceChildren(el('p', { class: 'hint' }, 'no viewers yet'));
  const recs = data.recommendations;
  body.replaceChildren(
    el('div', { class: 'row' }, el('label', {}, 'User ', picker)),
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
