// The console's entry: asks for the admin token once, then shows the view the hash names.
import { api, forgetToken, setToken, token } from './api.js';
import { startDeadLetters } from './dead-letters.js';
import { startDemoSwitch } from './demo.js';
import { startInspector } from './inspector.js';
import { startOverview } from './overview.js';
import { startAppViews } from './views.js';

const $ = (id) => document.getElementById(id);
let started = false;

function show(view) {
  for (const section of document.querySelectorAll('[data-view]')) section.hidden = section.dataset.view !== view;
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === view);
  document.dispatchEvent(new CustomEvent('console:view', { detail: view }));
}

const currentView = () => (location.hash.slice(1) || 'overview').split('/')[0];

async function open() {
  let apps;
  try {
    apps = (await api('/console/api/apps')).apps;
  } catch (e) {
    forgetToken();
    return signIn(e.status === 401 || e.status === 403 ? `refused: ${e.message}` : e.message);
  }
  $('login').hidden = true;
  $('views').hidden = false;
  $('sign-out').hidden = false;
  if (!started) {
    started = true;
    startOverview();
    startInspector(apps);
    startDeadLetters(apps);
    startAppViews(apps);
    void startDemoSwitch();
  }
  show(currentView());
}

function signIn(error = '') {
  $('views').hidden = true;
  $('login').hidden = false;
  $('sign-out').hidden = true;
  $('login-error').textContent = error;
  $('token').focus();
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('token').value);
  $('token').value = '';
  void open();
});
$('sign-out').addEventListener('click', () => {
  forgetToken();
  location.reload();
});
addEventListener('hashchange', () => show(currentView()));

if (token()) void open();
else signIn();
