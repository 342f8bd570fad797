// The VLM3D web console: plain DOM and ES modules, no framework. Screens are chosen by the URL fragment
// (#/submit, #/jobs, #/job/<id>, #/keys); the fragment never holds the key. All API calls go through api.js.
import {ApiError, MissingKeyError, apiKey, setApiKey, request, json, blobUrl, readEvents, describe} from './api.js';

const $ = id => document.getElementById(id);
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED']);

// ---------------------------------------------------------------- banner and key

function showBanner(message, kind = 'error') {
  const banner = $('banner');
  banner.textContent = message;
  banner.className = 'banner ' + kind;
  banner.hidden = !message;
}

/** Shows what went wrong; an authentication problem goes to the banner at the top, next to the key field. */
function report(error, where) {
  const message = describe(error);
  if (!message) return;
  const auth = error instanceof MissingKeyError
      || (error instanceof ApiError && (error.status === 401 || error.code === 'ADMIN_REQUIRED'));
  if (auth || !where) showBanner(message);
  else { where.textContent = message; where.hidden = false; }
}

function refreshAuthState() {
  const key = apiKey();
  $('auth-state').textContent = key ? 'using ' + key.slice(0, 10) + '…' : 'no key';
  $('sign-out').hidden = !key;
  $('api-key').value = '';
}

async function signIn() {
  const key = $('api-key').value.trim();
  if (!key) { showBanner(new MissingKeyError().message); return; }
  setApiKey(key);
  refreshAuthState();
  try {
    await json('/jobs?limit=1');          // checks the key once, so a wrong one is reported at once
    showBanner('');
    route();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) setApiKey(null);
    refreshAuthState();
    report(e);
  }
}

// ---------------------------------------------------------------- formatting

function seconds(s) {
  if (s == null) return '';
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

function number(v) {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(5);
}

function bytes(n) {
  return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB';
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return node;
}

function statusBadge(status) {
  return el('span', {class: 'status ' + status.toLowerCase()}, status);
}

// ---------------------------------------------------------------- routing

let leaveScreen = () => {};

function route() {
  leaveScreen();
  leaveScreen = () => {};
  const [, screen = 'submit', id] = (location.hash || '#/submit').split('/');
  for (const s of document.querySelectorAll('.screen')) s.hidden = true;
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === screen);
  const section = $('screen-' + screen) || $('screen-submit');
  section.hidden = false;
  if (!apiKey()) showBanner(new MissingKeyError().message);
  if (screen === 'jobs') leaveScreen = showJobs();
  else if (screen === 'job' && id) leaveScreen = showJob(id);
  else if (screen === 'keys') showKeys();
}

// ---------------------------------------------------------------- submit

function clearErrors(form) {
  for (const e of form.querySelectorAll('[data-error-for]')) { e.textContent = ''; e.hidden = true; }
  for (const f of form.querySelectorAll('.invalid')) f.classList.remove('invalid');
}

/** The request body from the form: empty fields are left out, so the preset's values apply. */
function requestBody(form) {
  const body = {};
  const options = {};
  for (const input of form.querySelectorAll('[name]')) {
    const raw = input.value.trim();
    if (raw === '' || input.dataset.kind === 'header') continue;
    let value = raw;
    if (input.dataset.kind === 'integer' || input.dataset.kind === 'number') {
      value = Number(raw);
      if (Number.isNaN(value)) value = raw;   // sent as typed: the API names the field and the rule
    } else if (input.dataset.kind === 'boolean') {
      value = raw === 'true';
    }
    if (input.name.startsWith('options.')) options[input.name.slice(8)] = value;
    else body[input.name] = value;
  }
  if (Object.keys(options).length) body.options = options;
  return body;
}

/** Puts each of the problem's field errors next to its field; the rest above the form. */
function showFieldErrors(form, error) {
  const problem = error.problem || {};
  const errors = problem.errors && problem.errors.length ? problem.errors : [{field: '', message: describe(error)}];
  for (const {field, message} of errors) {
    let slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) slot = form.querySelector('[data-error-for=""]');
    slot.textContent = (slot.textContent ? slot.textContent + ' ' : '') + message + ' (' + (problem.code || error.code) + ')';
    slot.hidden = false;
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`) || (field === 'Idempotency-Key' && $('f-idem'));
    if (input) input.classList.add('invalid');
  }
}

async function submitJob(event) {
  event.preventDefault();
  const form = $('submit-form');
  clearErrors(form);
  const headers = {};
  const idem = $('f-idem').value.trim();
  if (idem) headers['Idempotency-Key'] = idem;
  $('submit-button').disabled = true;
  try {
    const job = await json('/jobs', {method: 'POST', body: requestBody(form), headers});
    // the key named that request; the next submission is a new one (the same key with another body is refused)
    $('f-idem').value = '';
    showBanner('');
    location.hash = '#/job/' + job.id;
  } catch (e) {
    if (e instanceof ApiError && e.status !== 401) showFieldErrors(form, e);
    else report(e);
  } finally {
    $('submit-button').disabled = false;
  }
}

// ---------------------------------------------------------------- jobs list

const listState = {cursors: [null], page: 0};

function showJobs() {
  let timer = null;
  let stopped = false;
  const load = async () => {
    clearTimeout(timer);
    const params = new URLSearchParams({limit: $('jobs-limit').value});
    if ($('jobs-status').value) params.set('status', $('jobs-status').value);
    const cursor = listState.cursors[listState.page];
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await json('/jobs?' + params);
      if (stopped) return;
      renderJobs(page.jobs, load);
      listState.cursors[listState.page + 1] = page.next_cursor || null;
      $('jobs-next').disabled = !page.next_cursor;
      // queue positions and ETAs move: refresh while the screen is shown
      timer = setTimeout(load, 3000);
    } catch (e) {
      report(e);
    }
  };
  const restart = () => { listState.cursors = [null]; listState.page = 0; load(); };
  $('jobs-status').onchange = restart;
  $('jobs-limit').onchange = restart;
  $('jobs-first').onclick = restart;
  $('jobs-refresh').onclick = load;
  $('jobs-next').onclick = () => { listState.page++; load(); };
  load();
  return () => { stopped = true; clearTimeout(timer); };
}

function renderJobs(jobs, reload) {
  const body = $('jobs-body');
  body.replaceChildren();
  $('jobs-empty').hidden = jobs.length > 0;
  for (const job of jobs) {
    const actions = el('td', {class: 'actions'},
        el('a', {href: '#/job/' + job.id}, 'open'));
    if (!TERMINAL.has(job.status)) {
      actions.append(el('button', {type: 'button', 'data-action': 'cancel', onclick: async () => {
        try { await request('/jobs/' + job.id + '/cancel', {method: 'POST'}); } catch (e) { report(e); }
        reload();
      }}, job.cancel_requested ? 'stopping…' : 'cancel'));
    }
    actions.append(el('button', {type: 'button', 'data-action': 'delete', onclick: async () => {
      if (!confirm('Delete job ' + job.id + ' and its artifacts?')) return;
      try { await request('/jobs/' + job.id, {method: 'DELETE'}); } catch (e) { report(e); }
      reload();
    }}, 'delete'));
    body.append(el('tr', {'data-job-id': job.id},
        el('td', {}, new Date(job.created_at).toLocaleString()),
        el('td', {class: 'prompt'}, job.prompt),
        el('td', {class: 'job-status'}, statusBadge(job.status)),
        el('td', {}, el('progress', {max: '100', value: String(job.progress)}), ' ' + Math.round(job.progress) + '%'),
        el('td', {}, job.stage),
        el('td', {}, job.queue_position ?? ''),
        el('td', {}, seconds(job.eta_seconds)),
        actions));
  }
}

// ---------------------------------------------------------------- one job, live

let chart = null;
let viewer = null;
const blobs = [];

function releaseBlobs() {
  while (blobs.length) URL.revokeObjectURL(blobs.pop());
}

function curvesChart() {
  if (chart) chart.destroy();
  const axis = (position, title, grid) => ({type: 'linear', position, title: {display: true, text: title},
    grid: {drawOnChartArea: grid}});
  const line = (label, colour, yAxisID) => ({label, data: [], yAxisID, borderColor: colour,
    backgroundColor: colour, pointRadius: 2, borderWidth: 1.5, spanGaps: true});
  chart = new Chart($('curves-chart'), {
    type: 'line',
    data: {labels: [], datasets: [
      line('total loss', '#e4572e', 'yLoss'), line('SDS loss', '#f3a712', 'yLoss'),
      line('reward', '#29a36a', 'yReward'), line('λ_VLM', '#4c7ee8', 'yLambda')]},
    options: {animation: false, responsive: true, maintainAspectRatio: false, interaction: {mode: 'index', intersect: false},
      scales: {x: {title: {display: true, text: 'step'}}, yLoss: axis('left', 'loss', true),
        yReward: axis('right', 'reward', false), yLambda: axis('right', 'λ_VLM', false)}}
  });
  return chart;
}

/** Redraws the curves from step → metrics (each step once, in order). */
function drawCurves(points) {
  const steps = [...points.keys()].sort((a, b) => a - b);
  chart.data.labels = steps;
  const keys = ['total_loss', 'sds_loss', 'reward', 'lambda_vlm'];
  chart.data.datasets.forEach((d, i) => { d.data = steps.map(s => points.get(s)[keys[i]] ?? null); });
  chart.update('none');
  $('curves-chart').dataset.points = String(steps.length);
}

function showJob(id) {
  const controller = new AbortController();
  const points = new Map();
  const section = $('screen-job');
  let last = null;
  let sseEvents = 0;
  let resultShown = false;
  section.dataset.sseEvents = '0';
  $('job-events').replaceChildren();
  $('job-metrics').replaceChildren();
  $('result').hidden = true;
  $('job-title').textContent = 'Job';
  $('job-status').replaceChildren();
  $('job-progress').max = 1;
  $('job-progress').value = 0;
  curvesChart();

  const log = (text, kind = '') => {
    $('job-events').append(el('li', {class: kind}, el('time', {}, new Date().toLocaleTimeString()), ' ' + text));
  };

  const loadSeries = async () => {
    const series = await json('/jobs/' + id + '/metrics', {signal: controller.signal});
    for (const s of series.steps) points.set(s.step, s.metrics);
    drawCurves(points);
  };

  const onSnapshot = job => {
    sseEvents++;
    section.dataset.sseEvents = String(sseEvents);
    section.dataset.status = job.status;
    // the run's events, from what changed between two snapshots
    if (!last) log('status ' + job.status + (job.queue_position != null ? ', ' + job.queue_position + ' job(s) ahead' : ''));
    else if (last.status !== job.status) log('status ' + last.status + ' → ' + job.status, job.status.toLowerCase());
    if (last && job.attempt > last.attempt) {
      log('attempt ' + job.attempt + ' of ' + job.max_attempts + ' started'
          + (job.step > 0 ? ', resumed from the checkpoint at step ' + job.step : ''), 'retry');
    }
    if (job.error && (!last || !last.error || last.error.code !== job.error.code || last.error.message !== job.error.message)) {
      log(job.error.code + ': ' + job.error.message + (job.error.retrying
          ? ' (retrying' + (job.next_attempt_at ? ' at ' + new Date(job.next_attempt_at).toLocaleTimeString() : '') + ')' : ''),
          'failed');
    }
    if (job.cancel_requested && !(last && last.cancel_requested)) log('cancel requested: stops at the next step');
    if (last && last.stage !== job.stage && job.status === 'RUNNING' && last.status === 'RUNNING') log('stage ' + job.stage);

    $('job-title').textContent = job.prompt;
    $('job-status').replaceChildren(statusBadge(job.status));
    $('job-id').textContent = job.id;
    $('job-stage').textContent = job.stage;
    $('job-attempt').textContent = 'preset ' + (job.preset || '—') + ', seed ' + job.seed + ', attempt ' + job.attempt + ' of ' + job.max_attempts;
    $('job-progress').max = job.total_steps;
    $('job-progress').value = job.step;
    $('job-progress-text').textContent = 'step ' + job.step + ' / ' + job.total_steps + ' · ' + Math.round(job.progress) + '%'
        + (job.eta_seconds != null && !TERMINAL.has(job.status) ? ' · ETA ' + seconds(job.eta_seconds) : '')
        + (job.queue_position != null ? ' · ' + job.queue_position + ' ahead in the queue' : '')
        + (job.expires_at ? (job.status === 'EXPIRED' ? ' · expired ' : ' · kept until ') + new Date(job.expires_at).toLocaleString() : '');
    $('job-cancel').hidden = TERMINAL.has(job.status);

    if (job.metrics) {
      $('job-metrics').replaceChildren(...Object.entries(job.metrics).sort()
          .map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, number(v)))));
      // a step that arrives in order is drawn at once; a gap (missed snapshots) reloads the series
      const known = points.size ? Math.max(...points.keys()) : 0;
      if (job.step === known + 1 || points.has(job.step)) { points.set(job.step, job.metrics); drawCurves(points); }
      else if (job.step > known) loadSeries().catch(report);
    }
    if (job.status === 'SUCCEEDED' && !resultShown) {
      resultShown = true;
      showResult(job, controller.signal).catch(e => report(e));
    }
    last = job;
  };

  const follow = async () => {
    await loadSeries();
    for (let retry = 0; ; retry++) {
      try {
        await readEvents('/jobs/' + id + '/events', (name, data) => {
          if (name === 'job') onSnapshot(JSON.parse(data));
          else if (name === 'deleted') { log('the job was deleted'); last = {status: 'DELETED'}; }
        }, controller.signal);
      } catch (e) {
        if (controller.signal.aborted) return;
        if (e instanceof ApiError) throw e;      // 401 / 404: reconnecting will not help
        log('event stream interrupted (' + e.message + '), reconnecting');
      }
      if (last && (TERMINAL.has(last.status) || last.status === 'DELETED')) break;
      await new Promise(r => setTimeout(r, Math.min(1000 * 2 ** retry, 10000)));
    }
    await loadSeries();                          // the stored series is the reference once the run has ended
  };
  follow().catch(e => { if (!controller.signal.aborted) { report(e); log(describe(e), 'failed'); } });

  $('job-cancel').onclick = async () => {
    try { await request('/jobs/' + id + '/cancel', {method: 'POST'}); } catch (e) { report(e); }
  };
  $('job-delete').onclick = async () => {
    if (!confirm('Delete this job and its artifacts?')) return;
    try { await request('/jobs/' + id, {method: 'DELETE'}); location.hash = '#/jobs'; } catch (e) { report(e); }
  };
  return () => {
    controller.abort();
    releaseBlobs();
    if (viewer) { viewer.dispose(); viewer = null; }
  };
}

// ---------------------------------------------------------------- the result

async function showResult(job, signal) {
  $('result').hidden = false;
  const {artifacts} = await json('/jobs/' + job.id + '/artifacts', {signal});
  const byName = new Map(artifacts.map(a => [a.name, a]));
  const path = name => '/jobs/' + job.id + '/artifacts/' + encodeURIComponent(name);

  // downloads: fetched with the key when clicked, then handed to the browser as a blob: URL
  $('downloads').replaceChildren(...artifacts.map(a => el('li', {},
      el('a', {href: '#', 'data-artifact': a.name, onclick: async event => {
        event.preventDefault();
        try {
          const url = await blobUrl(path(a.name), signal);
          blobs.push(url);
          const link = el('a', {href: url, download: a.name});
          document.body.append(link);
          link.click();
          link.remove();
        } catch (e) { report(e); }
      }}, a.name), ' ', el('span', {class: 'muted'}, bytes(a.size_bytes) + ' · ' + a.content_type))));

  // renders: RGB and normal images of each evaluation camera side by side, then the turntable
  const renders = artifacts.map(a => a.name).filter(n => /^render_rgb_\d+\.png$/.test(n)).sort();
  const gallery = $('gallery');
  gallery.replaceChildren();
  for (const rgb of renders) {
    const normal = rgb.replace('render_rgb_', 'render_normal_');
    const figure = el('figure', {});
    for (const name of [rgb, normal]) {
      if (!byName.has(name)) continue;
      const img = el('img', {alt: name, 'data-artifact': name});
      figure.append(img);
      blobUrl(path(name), signal).then(url => { blobs.push(url); img.src = url; }).catch(report);
    }
    figure.append(el('figcaption', {}, rgb.match(/\d+/)[0]));
    gallery.append(figure);
  }
  if (byName.has('turntable.gif')) {
    blobUrl(path('turntable.gif'), signal).then(url => { blobs.push(url); $('turntable').src = url; }).catch(report);
  }

  if (byName.has('run.json')) {
    const run = await (await request(path('run.json'), {signal})).json();
    $('run-json').textContent = JSON.stringify(run, null, 2);
    const rows = [];
    const flatten = (prefix, value) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) flatten(prefix ? prefix + '.' + k : k, v);
      } else rows.push(el('tr', {}, el('th', {}, prefix), el('td', {}, Array.isArray(value) ? JSON.stringify(value) : value)));
    };
    flatten('', run);
    $('run-summary').replaceChildren(...rows);
  }

  if (byName.has('model.glb')) {
    const {GlbViewer} = await import('./viewer.js');
    if (signal.aborted) return;
    const glb = await (await request(path('model.glb'), {signal})).arrayBuffer();
    if (viewer) viewer.dispose();
    const canvas = $('viewer');
    viewer = new GlbViewer(canvas);
    const triangles = await viewer.load(glb);
    canvas.dataset.loaded = 'true';
    canvas.dataset.triangles = String(triangles);
    $('viewer-info').textContent = triangles.toLocaleString() + ' triangles · drag to orbit, wheel to zoom';
    $('viewer-wireframe').checked = false;
    $('viewer-normals').checked = false;
    viewer.setBackground($('viewer-background').value);
    $('viewer-wireframe').onchange = e => viewer.setWireframe(e.target.checked);
    $('viewer-normals').onchange = e => viewer.setNormals(e.target.checked);
    $('viewer-background').oninput = e => viewer.setBackground(e.target.value);
    $('viewer-reset').onclick = () => viewer.frame();
  }
}

// ---------------------------------------------------------------- keys (admin)

async function showKeys() {
  $('key-form-error').textContent = '';
  try {
    const {keys} = await json('/api-keys');
    $('keys-body').replaceChildren(...keys.map(k => el('tr', {'data-key-id': k.id},
        el('td', {}, k.name), el('td', {}, el('code', {}, k.key_prefix + '…')), el('td', {}, k.admin ? 'yes' : ''),
        el('td', {}, k.max_queued_jobs), el('td', {}, new Date(k.created_at).toLocaleString()),
        el('td', {}, k.revoked_at ? new Date(k.revoked_at).toLocaleString() : ''),
        el('td', {}, k.revoked_at ? '' : el('button', {type: 'button', onclick: async () => {
          if (!confirm('Revoke key ' + k.name + '? Clients using it stop working.')) return;
          try { await request('/api-keys/' + k.id, {method: 'DELETE'}); } catch (e) { report(e, $('key-form-error')); }
          showKeys();
        }}, 'revoke')))));
  } catch (e) {
    $('keys-body').replaceChildren();
    report(e, $('key-form-error'));
  }
}

async function createKey(event) {
  event.preventDefault();
  $('key-form-error').textContent = '';
  const body = {name: $('k-name').value.trim(), admin: $('k-admin').checked};
  if ($('k-cap').value.trim() !== '') body.max_queued_jobs = Number($('k-cap').value);
  try {
    const key = await json('/api-keys', {method: 'POST', body});
    $('key-token').textContent = key.token;
    $('key-created').hidden = false;
    $('k-name').value = '';
    $('k-cap').value = '';
    $('k-admin').checked = false;
    showKeys();
  } catch (e) {
    report(e, $('key-form-error'));
  }
}

// ---------------------------------------------------------------- start

$('sign-in').onclick = signIn;
$('api-key').addEventListener('keydown', e => { if (e.key === 'Enter') signIn(); });
$('sign-out').onclick = () => { setApiKey(null); refreshAuthState(); route(); };
$('submit-form').addEventListener('submit', submitJob);
// crypto.randomUUID exists only in secure contexts (https, localhost); 128 random bits as hex work everywhere
$('f-idem-new').onclick = () => {
  $('f-idem').value = [...crypto.getRandomValues(new Uint8Array(16))].map(b => b.toString(16).padStart(2, '0')).join('');
};
$('key-form').addEventListener('submit', createKey);
window.addEventListener('hashchange', route);
refreshAuthState();
route();
