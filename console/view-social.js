// MySocialMedia: the trending posts of the current window and the newest posts with their counts.
import { el } from './api.js';
import { num, table, time } from './tables.js';

export function renderSocial(body, data) {
  const t = data.trending;
  body.replaceChildren(
    el('h3', {}, 'Trending', el('span', { class: 'hint' }, t.windowStart ? ` window ${time(t.windowStart)} – ${time(t.windowEnd)}` : ' (no window yet)')),
    table(['Post', 'By', 'Text', 'Score', 'Likes', 'Comments'],
      t.items.map((p) => [p.postId, p.userId, p.text, num(p.score), num(p.likes), num(p.comments)]), 'no trending posts yet'),
    el('h3', {}, 'Newest posts'),
    table(['Post', 'By', 'Text', 'Hashtags', 'Likes', 'Comments', 'Posted'],
      data.newest.map((p) => [p.postId, p.userId, p.text, p.hashtags.map((h) => `#${h}`).join(' '),
        el('td', { class: 'num', 'data-likes': p.postId }, String(p.likes)), num(p.comments), time(p.createdAt)]),
      'no posts yet'),
  );
}
