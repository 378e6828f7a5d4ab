// Small helpers the applications' views draw their tables with.
import { el } from './api.js';

/** A table with a header row; `rows` are arrays of cells (nodes or text). */
export function table(headers, rows, empty = 'nothing yet') {
  return el('table', {},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...(rows.length === 0
      ? [el('tr', {}, el('td', { colspan: String(headers.length), class: 'hint' }, empty))]
      : rows.map((cells) => el('tr', {}, ...cells.map((c) => (c instanceof Node && c.nodeName === 'TD' ? c : el('td', {}, c))))))));
}

export const num = (n) => el('td', { class: 'num' }, n === null || n === undefined ? '–' : String(n));
export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '–');
