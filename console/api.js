// The console's calls: every data route takes the admin token, kept in sessionStorage (this tab
// only, gone when it closes) and sent as a bearer header.
const KEY = 'kastor.console.token';

export class Refused extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

export const token = () => sessionStorage.getItem(KEY);
export const setToken = (value) => sessionStorage.setItem(KEY, value.trim());
export const forgetToken = () => sessionStorage.removeItem(KEY);

/** Calls a console route; JSON in and out; a 4xx or 5xx is thrown as Refused with its reason. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Refused(res.status, answer.error ?? res.statusText);
  return answer;
}

/** Builds an element; children are nodes or text (never parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c ?? ''));
  return node;
}

export const fmt = (n, digits = 0) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en', { maximumFractionDigits: digits }));
