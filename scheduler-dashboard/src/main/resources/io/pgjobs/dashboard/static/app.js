// pgjobs dashboard: a hash-routed single page over the JSON API next to it (api/...).
// Safety rule of this file: every value from the server is put into the page with textContent or an attribute
// through el(), never as markup, because job args and error messages are attacker-controlled.
'use strict';

const COLORS = { green: '#1e8a4c', amber: '#b7791f', red: '#c53030', grey: '#718096', accent: '#2f5bd3' };
/** The first colours of the lag chart's queue lines; more queues get hues spread around the wheel. */
const LINE_COLORS = ['#c53030', '#2f5bd3', '#b7791f', '#1e8a4c', '#6b46c1', '#0987a0'];
/** The lag chart draws at most this many queues (those of the highest peak); the legend wraps. */
const MAX_LAG_LINES = 20;
const STATES = ['available', 'scheduled', 'running', 'retryable', 'completed', 'cancelled', 'discarded'];
const REFRESH_MS = 5000;
const session = { user: null, role: null, csrfToken: null };
const ui = {
  live: true, timer: null, busy: false, chartSpan: 'hour',
  renders: 0,          // every render takes the next number; only the newest one may draw
  actions: 0,          // counts actions begun, so that a refresh that started before one gives way to it
  updatedAt: null,     // when the page last drew fresh data (the browser's clock: this is display only)
  clockOffset: 0,      // the database's time less the browser's, in ms (syncClock): "now" is the database's
  refreshError: null,  // why the last live refresh failed, shown instead of replacing the page
  selected: new Set()  // the jobs ticked on the jobs page, kept across refreshes, cleared on navigation
};

// ---- DOM and HTTP helpers -----------------------------------------------------------------------------------

/** Builds an element; children are nodes or strings (always text). attrs: on* are listeners, the rest attributes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'value') { node.defaultValue = value; node.value = value; } // default: to tell typed text
    else if (key === 'style') node.style.cssText = value; // through CSSOM: the CSP forbids style attributes
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === 'style') node.style.cssText = value; else node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child) node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * An address beside the page, built from its origin and path only: a page opened as http://user:pw@host/ has
 * credentials in its URL, and fetch refuses relative URLs resolved against it.
 */
function beside(path) {
  return new URL(path, location.origin + location.pathname).href;
}

async function api(path, options = {}) {
  const init = { method: options.method || 'GET', headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (init.method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.headers['X-PgJobs-Csrf'] = session.csrfToken;
    init.body = JSON.stringify(options.body || {});
  }
  const response = await fetch(beside('api/' + path), init);
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw Object.assign(new Error(body.error || ('HTTP ' + response.status)), { status: response.status });
  return body;
}

/** The readiness probe (health/ready, beside api/): its 503 means "not ready" and still carries the checks. */
async function readiness() {
  const response = await fetch(beside('health/ready'), { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  if (response.status !== 200 && response.status !== 503) throw new Error('health: HTTP ' + response.status);
  return response.json();
}

function flash(message, isError) {
  const note = el('div', { class: isError ? 'error' : '' }, message);
  document.getElementById('flash').appendChild(note);
  setTimeout(() => note.remove(), isError ? 8000 : 3500);
}

function badge(state) {
  return el('span', { class: 'badge s-' + state, 'data-state': state }, state);
}

function count(c) {
  return c.atLeast ? c.value.toLocaleString() + '+' : c.value.toLocaleString();
}

/**
 * The database's time now, from the browser's clock and its offset to the database's (syncClock): pgjobs takes
 * every time from the database, so a browser whose clock is off still shows "3 s ago" and "the last hour" right.
 */
function databaseNow() {
  return Date.now() + ui.clockOffset;
}

/** Measures the offset of the database's clock (api/clock) to the browser's, taken as read half-way through. */
async function syncClock() {
  const sent = Date.now();
  const clock = await api('clock');
  ui.clockOffset = Date.parse(clock.now) - (sent + Date.now()) / 2;
}

function when(iso) {
  if (!iso) return el('span', { class: 'muted' }, '—');
  const seconds = (databaseNow() - Date.parse(iso)) / 1000;
  const abs = Math.abs(seconds);
  const text = abs < 60 ? Math.round(abs) + 's' : abs < 3600 ? Math.round(abs / 60) + 'm'
    : abs < 86400 ? Math.round(abs / 3600) + 'h' : Math.round(abs / 86400) + 'd';
  return el('span', { title: iso }, seconds >= 0 ? text + ' ago' : 'in ' + text);
}

function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? ms + ' ms' : ms < 60000 ? (ms / 1000).toFixed(1) + ' s'
    : ms < 3600000 ? (ms / 60000).toFixed(1) + ' min' : (ms / 3600000).toFixed(1) + ' h';
}

/** java.time.Duration as JSON ("PT1.5S") in milliseconds. */
function isoDurationMs(text) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(text || '');
  return m ? ((+m[1] || 0) * 3600 + (+m[2] || 0) * 60 + (+m[3] || 0)) * 1000 : 0;
}

/** A table; a header ending in # is a number column; a header may be an element (a select-all box). */
function table(headers, rows, empty) {
  if (!rows.length) return el('div', { class: 'empty' }, empty);
  // in a box that scrolls sideways, so that a wide table does not widen a phone's page
  return el('div', { class: 'scroll' }, el('table', {},
    el('thead', {}, el('tr', {}, headers.map(h => typeof h !== 'string' ? el('th', {}, h)
      : el('th', { class: h.endsWith('#') ? 'num' : '' }, h.replace(/#$/, ''))))),
    el('tbody', {}, rows)));
}

function canAct() {
  return session.role === 'operator';
}

function actionButton(label, run, cls) {
  return el('button', {
    type: 'button', class: cls || '', disabled: !canAct(), title: canAct() ? null : 'operators only',
    onclick: async event => {
      const button = event.currentTarget;
      button.disabled = true;
      ui.actions++;
      try { await run(); } catch (e) { flash(e.message, true); } finally { button.disabled = false; }
    }
  }, label);
}

// ---- routing and live refresh -------------------------------------------------------------------------------

const pages = {
  '': overviewPage, queues: queuesPage, jobs: jobsPage, 'dead-letters': deadLettersPage,
  schedules: schedulesPage, nodes: nodesPage, audit: auditPage
};

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean);
  return { parts, params: new URLSearchParams(query || '') };
}

/**
 * Draws the page of the location. A live refresh ({@code refresh}) keeps what the user did on the page (see
 * replaceKeepingState), keeps the page as it was when it fails (saying so beside "updated"), and draws nothing
 * when an action began or another render started while it waited for the server: it would draw over them.
 */
async function render(refresh) {
  const mine = ++ui.renders;
  const actions = ui.actions;
  const { parts, params } = route();
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.getAttribute('href') === '#/' + (parts[0] || ''));
  }
  const main = document.getElementById('main');
  let content;
  try {
    const page = parts[0] === 'jobs' && parts[1] ? () => jobPage(parts[1]) : pages[parts[0] || ''];
    content = page ? await page(params, parts) : el('div', { class: 'empty' }, 'No such page.');
  } catch (e) {
    if (mine !== ui.renders) return;
    if (refresh) { ui.refreshError = e.message; showUpdated(); return; }
    content = el('div', { class: 'empty' }, 'Could not load: ' + e.message);
  }
  if (mine !== ui.renders || (refresh && (ui.busy || ui.actions !== actions))) return;
  if (refresh) replaceKeepingState(main, content); else main.replaceChildren(content);
  // for measuring the first render (docs/dashboard.md, PageLoadBenchmark): when the first data was drawn
  if (ui.updatedAt === null) performance.mark('pgjobs-first-draw');
  ui.updatedAt = Date.now();
  ui.refreshError = null;
  const updated = document.getElementById('updated');
  updated.dataset.draws = String(Number(updated.dataset.draws || 0) + 1);
  showUpdated();
}

/** What identifies a form field, an open detail or a focused control from one drawing of a page to the next. */
function keyOf(node) {
  return node.getAttribute('data-key') || node.getAttribute('name') || node.getAttribute('aria-label')
    || node.getAttribute('href') || node.tagName + ':' + node.textContent.slice(0, 40);
}

/**
 * Puts {@code content} in place of the page in {@code main}, keeping what the user did on it: open details
 * (stack traces), text typed into fields but not applied, which control has the focus (and the caret), and the
 * scroll position. Elements are matched by keyOf.
 */
function replaceKeepingState(main, content) {
  const opened = new Set([...main.querySelectorAll('details[open]')].map(keyOf));
  const typed = new Map([...main.querySelectorAll('input:not([type=checkbox]), textarea')]
    .filter(field => field.value !== field.defaultValue).map(field => [keyOf(field), field.value]));
  const active = document.activeElement && main.contains(document.activeElement) ? document.activeElement : null;
  const focus = active && { key: keyOf(active), start: active.selectionStart, end: active.selectionEnd };
  const [x, y] = [window.scrollX, window.scrollY];
  main.replaceChildren(content);
  for (const details of main.querySelectorAll('details')) if (opened.has(keyOf(details))) details.open = true;
  for (const field of main.querySelectorAll('input:not([type=checkbox]), textarea')) {
    if (typed.has(keyOf(field))) field.value = typed.get(keyOf(field));
  }
  if (focus) {
    const again = [...main.querySelectorAll('a, button, input, textarea, select, summary')].find(n => keyOf(n) === focus.key);
    if (again) {
      again.focus({ preventScroll: true });
      if (typeof focus.start === 'number' && again.setSelectionRange) again.setSelectionRange(focus.start, focus.end);
    }
  }
  window.scrollTo(x, y);
}

/** Why a live refresh would disturb the user now, or null: typing in a field, or text selected on the page. */
function editing() {
  const active = document.activeElement;
  if (active && ['INPUT', 'TEXTAREA', 'SELECT'].includes(active.tagName) && active.type !== 'checkbox') return 'you edit';
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed && document.getElementById('main').contains(selection.anchorNode)) return 'you select text';
  return null;
}

function schedule() {
  clearTimeout(ui.timer);
  ui.timer = setTimeout(async () => {
    // a refresh never replaces the page while a bulk action runs, nor disturbs someone typing or selecting
    if (ui.live && !ui.busy && !editing()) await render(true);
    schedule();
  }, REFRESH_MS);
}

/** "updated 3 s ago", or why the page is not refreshing, beside the Live button. */
function showUpdated() {
  const status = document.getElementById('updated');
  const age = ui.updatedAt === null ? null : Math.max(0, Math.round((Date.now() - ui.updatedAt) / 1000));
  const why = !ui.live ? null : ui.busy ? 'paused while an action runs' : editing() ? 'paused while ' + editing() : null;
  status.textContent = (age === null ? '' : 'updated ' + age + ' s ago') + (why ? ' · ' + why : '')
    + (ui.refreshError ? ' · refresh failed: ' + ui.refreshError : '');
  status.classList.toggle('warn', ui.refreshError !== null);
}

function toggleLive() {
  ui.live = !ui.live;
  const button = document.getElementById('live');
  button.classList.toggle('on', ui.live);
  button.textContent = ui.live ? 'Live' : 'Paused';
}

// ---- overview -----------------------------------------------------------------------------------------------

async function overviewPage() {
  const [o, nodes, health, unhandled] = await Promise.all([api('overview?span=' + ui.chartSpan), api('nodes'), readiness(),
    api('unhandled-kinds')]);
  const cards = el('div', { class: 'cards' }, STATES.map(state => el('a', { class: 'card', href: '#/jobs?state=' + state },
    el('div', {}, badge(state)), el('div', { class: 'n', 'data-count': state }, count(o.states[state.toUpperCase()])))));
  const points = o.series;
  const spanToggle = el('div', { class: 'toggle actions' }, ['hour', 'day'].map(span =>
    el('button', { type: 'button', class: ui.chartSpan === span ? 'on' : '', onclick: () => { ui.chartSpan = span; render(); } },
      'Last ' + span)));
  // a bucket in which nothing finished has no rate and no duration: a gap, not 0 % and 0 ms
  const rate = points.map(p => {
    const ended = p.completed + p.failed + p.discarded;
    return ended ? 100 * (p.failed + p.discarded) / ended : null;
  });
  const average = points.map(p => p.completed + p.failed + p.discarded + p.cancelled + p.other ? p.averageDurationMs : null);
  const bucket = ui.chartSpan === 'hour' ? 'minute' : '10 minutes';
  const lag = lagLines(points, o.lag);
  return el('div', {},
    el('h1', {}, 'Overview', el('span', { class: 'muted' }, 'counts stop at 10,000')),
    cards,
    unhandledPanel(unhandled),
    el('div', { class: 'grid2' }, clusterPanel(nodes), healthPanel(health)),
    el('div', { class: 'bar' }, el('strong', {}, 'Finished attempts and queue lag'), spanToggle),
    el('div', { class: 'grid3' },
      chartPanel('Throughput (per ' + bucket + ')', stackedBars(points, [
        ['completed', COLORS.green], ['failed', COLORS.amber], ['discarded', COLORS.red], ['cancelled', COLORS.grey]]),
        [['completed', COLORS.green], ['failed, will retry', COLORS.amber], ['discarded', COLORS.red], ['cancelled', COLORS.grey]], 'throughput'),
      chartPanel('Failure rate', lineChart(points, [[rate, COLORS.red, 'failure rate']], v => +v.toFixed(1) + '%'), [], 'rate'),
      chartPanel('Average duration', lineChart(points, [[average, COLORS.accent, 'average']], v => duration(Math.round(v))), [], 'duration')),
    el('h2', {}, 'Queues: lag (age of the oldest due job)'),
    el('div', { class: 'grid2' },
      chartPanel('Lag, the worst of each ' + bucket + (o.lag.length > lag.length ? ' (the ' + lag.length + ' queues of the highest peak)' : ''),
        lag.length ? lineChart(points, lag, v => duration(Math.round(v)))
          : el('div', { class: 'muted' }, 'No samples yet: the leader samples every queue a few times a minute.'),
        lag.map(([, color, name]) => [name, color]), 'lag'),
      chartPanel('Lag now (log scale)', lagBars(o.queues), [], 'lag-now')),
    queueTable(o.queues, nodes));
}

/**
 * The lag chart's lines: the queues of the highest peak lag, at most one per colour, each as its lag by bucket of
 * {@code points} (null where the queue has no sample: no node led, or the queue was not in use).
 */
function lagLines(points, lag) {
  const peak = q => Math.max(0, ...q.points.map(p => p.lagMs));
  return [...lag].sort((a, b) => peak(b) - peak(a)).slice(0, MAX_LAG_LINES).map((q, i) => {
    const byStart = new Map(q.points.map(p => [p.start, p.lagMs]));
    return [points.map(p => byStart.has(p.start) ? byStart.get(p.start) : null), lineColor(i), q.queue];
  });
}

/** Who leads: the live node marked in nodes.leader_since; none (or several) is worth a warning. */
/** Due jobs that no live node works with a handler for their kind: they wait until one starts (none: nothing). */
function unhandledPanel(unhandled) {
  if (!unhandled.length) return null;
  return el('div', { class: 'panel warn', 'data-unhandled': '' },
    el('strong', {}, 'Due jobs no live node handles'),
    el('span', { class: 'muted' }, ' (they wait until a node with their queue and a handler for their kind starts)'),
    table(['Queue', 'Kind', 'Jobs#'], unhandled.map(u => el('tr', { 'data-unhandled-kind': u.queue + '/' + u.kind },
      el('td', {}, el('a', { href: '#/jobs?' + new URLSearchParams({ queue: u.queue, kind: u.kind }) }, u.queue)),
      el('td', { class: 'mono' }, u.kind), el('td', { class: 'num' }, u.jobs))), ''));
}

function clusterPanel(nodes) {
  const live = nodes.filter(n => n.alive);
  const leaders = live.filter(n => n.leaderSince);
  const line = leaders.length === 1
    ? el('div', { class: 'leader', 'data-leader': leaders[0].id }, badge('leader'), ' ',
      el('a', { class: 'mono', href: '#/nodes' }, leaders[0].id), ' ', since(leaders[0].leaderSince))
    : el('div', { class: 'leader warn', 'data-leader': '' }, leaders.length
      ? leaders.length + ' nodes claim to lead: ' + leaders.map(n => n.id).join(', ')
      : 'No leader: no live node leads, so no lease rescue, retention or dead-node cleanup runs');
  return el('div', { class: 'panel' }, el('div', { class: 'title' }, 'Cluster'), line,
    el('div', { class: 'muted' }, live.length + ' live ' + (live.length === 1 ? 'node' : 'nodes')));
}

/** Each check of the readiness probe with its status colour; the details are there because we are signed in. */
function healthPanel(health) {
  return el('div', { class: 'panel', 'data-health': health.status.toLowerCase() },
    el('div', { class: 'title' }, 'Health ', badge(health.status.toLowerCase())),
    el('ul', { class: 'checks' }, health.checks.map(c => el('li', { 'data-check': c.name },
      badge(c.status.toLowerCase()), ' ', el('strong', {}, c.name), ' ', el('span', { class: 'muted' }, c.detail)))));
}

function since(iso) {
  return el('span', { class: 'muted', title: iso }, 'since ' + new Date(iso).toLocaleString());
}

function chartPanel(title, chart, legend, name) {
  return el('div', { class: 'panel chart', 'data-chart': name },
    el('div', { class: 'title' }, title, el('span', { class: 'legend' },
      legend.map(([name, color]) => el('span', {}, el('i', { style: 'background:' + color }), name)))),
    chart);
}

/** The i-th line's colour: the fixed six first, then hues 137.5° apart (they never repeat and stay apart). */
function lineColor(i) {
  return i < LINE_COLORS.length ? LINE_COLORS[i] : 'hsl(' + Math.round((i * 137.5) % 360) + ', 60%, 45%)';
}

const W = 600, H = 160, LEFT = 52, BOTTOM = 20, TOP = 8;
const PLOT_H = H - BOTTOM - TOP;

/** 3 to 5 round tick values (steps of 1, 2 or 5 times a power of ten) from 0 to at least {@code max}. */
function ticks(max) {
  if (!(max > 0)) return [0, 1, 2, 3, 4]; // nothing to show yet: a plain scale rather than one squeezed to nothing
  const rough = max / 4;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 5, 10].map(m => m * power).find(m => m >= rough);
  const values = [];
  for (let v = 0; v < max + step; v += step) values.push(+v.toPrecision(12));
  return values.length < 3 ? [0, step, 2 * step] : values;
}

/** A bucket's start as the axis and tooltips show it: the time, and on the day view the date too. */
function bucketLabel(iso) {
  const options = ui.chartSpan === 'day' ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
    : { hour: '2-digit', minute: '2-digit' };
  return new Date(iso).toLocaleString(undefined, options);
}

/** Gridlines with their values at each tick, and the first, middle and last bucket under the plot. */
function axes(top, tickValues, format, points) {
  const y = v => TOP + PLOT_H - PLOT_H * v / top;
  const labels = points.length ? [0, Math.floor((points.length - 1) / 2), points.length - 1] : [];
  const x = i => LEFT + (W - LEFT) * (points.length > 1 ? i / (points.length - 1) : 0);
  return [
    tickValues.map(v => [
      svg('line', { x1: LEFT, y1: y(v), x2: W, y2: y(v), class: 'grid' }),
      svg('text', { x: LEFT - 6, y: y(v) + 3, 'text-anchor': 'end', class: 'tick' }, format(v))]),
    labels.map((i, n) => svg('text', { x: x(i), y: H - 4, class: 'tick',
      'text-anchor': n === 0 ? 'start' : n === labels.length - 1 ? 'end' : 'middle' }, bucketLabel(points[i].start)))
  ];
}

/**
 * One transparent column per bucket over the whole plot, whose tooltip gives the bucket's exact values:
 * {@code describe(i)} lines.
 */
function hoverColumns(points, describe) {
  const width = (W - LEFT) / Math.max(1, points.length);
  return points.map((p, i) => svg('rect', { x: LEFT + i * width, y: TOP, width, height: PLOT_H, class: 'hover' },
    svg('title', {}, bucketLabel(p.start) + '\n' + describe(i).join('\n'))));
}

function stackedBars(points, series) {
  const totals = points.map(p => series.reduce((sum, [key]) => sum + p[key], 0));
  const tickValues = ticks(Math.max(0, ...totals));
  const top = tickValues[tickValues.length - 1];
  const width = (W - LEFT) / Math.max(1, points.length);
  const bars = [];
  points.forEach((p, i) => {
    let y = TOP + PLOT_H;
    for (const [key, color] of series) {
      const h = PLOT_H * p[key] / top;
      if (h > 0) {
        y -= h;
        bars.push(svg('rect', { x: LEFT + i * width, y, width: Math.max(1, width - 1), height: h, fill: color }));
      }
    }
  });
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' }, axes(top, tickValues, v => v.toLocaleString(), points), bars,
    hoverColumns(points, i => series.map(([key]) => key + ': ' + points[i][key].toLocaleString())));
}

/**
 * Lines over the buckets of {@code points}: each line is [values by bucket, colour, name]; a null value leaves a
 * gap. A value alone between gaps shows as a dot (a zero-length segment with round caps).
 */
function lineChart(points, lines, format) {
  const tickValues = ticks(Math.max(0, ...lines.flatMap(([values]) => values.filter(v => v !== null))));
  const top = tickValues[tickValues.length - 1];
  const step = (W - LEFT) / Math.max(1, points.length - 1);
  const paths = lines.map(([values, color, name]) => {
    const segments = [];
    values.forEach((v, i) => {
      if (v === null) return;
      const at = (LEFT + i * step).toFixed(1) + ' ' + (TOP + PLOT_H - PLOT_H * v / top).toFixed(1);
      segments.push((i && values[i - 1] !== null ? 'L' : 'M' + at + ' L') + at);
    });
    return segments.length ? svg('path', { d: segments.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5,
      'stroke-linecap': 'round', 'data-line': name }) : null;
  });
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img' }, axes(top, tickValues, format, points), paths,
    hoverColumns(points, i => lines.map(([values, , name]) => name + ': ' + (values[i] === null ? 'no data' : format(values[i])))));
}

/** Each queue's lag now on a logarithmic scale (1 s, 1 min, 1 h marks), so that seconds and hours both read. */
function lagBars(queues) {
  if (!queues.length) return el('div', { class: 'muted' }, 'No queues yet.');
  const lags = queues.map(q => isoDurationMs(q.lag));
  const marks = [[1000, '1 s'], [60000, '1 min'], [3600000, '1 h'], [86400000, '1 d']];
  const top = Math.max(3600000, ...lags) * 1.2;
  const NAME = 150, VALUE = 70, rowHeight = 20, height = queues.length * rowHeight + 18;
  const scale = ms => (W - NAME - VALUE) * Math.log10(1 + ms / 100) / Math.log10(1 + top / 100);
  const short = name => name.length > 22 ? name.slice(0, 21) + '…' : name;
  return svg('svg', { viewBox: `0 0 ${W} ${height}`, preserveAspectRatio: 'xMinYMin meet', style: `height:${height}px` },
    marks.filter(([ms]) => ms <= top).map(([ms, label]) => [
      svg('line', { x1: NAME + scale(ms), y1: 0, x2: NAME + scale(ms), y2: height - 14, class: 'grid' }),
      svg('text', { x: NAME + scale(ms), y: height - 3, 'text-anchor': 'middle', class: 'tick' }, label)]),
    queues.map((q, i) => svg('g', { 'data-queue-lag': q.name },
      svg('title', {}, q.name + ': ' + duration(lags[i])),
      svg('text', { x: 0, y: i * rowHeight + 14, class: 'label' }, short(q.name)),
      svg('rect', { x: NAME, y: i * rowHeight + 4, width: Math.max(1, scale(lags[i])), height: 12, rx: 2,
        fill: lags[i] > 60000 ? COLORS.red : lags[i] > 5000 ? COLORS.amber : COLORS.green }),
      svg('text', { x: W - VALUE + 6, y: i * rowHeight + 14, class: 'tick' }, duration(lags[i])))));
}

// ---- queues -------------------------------------------------------------------------------------------------

async function queuesPage() {
  const [queues, nodes, audit, activity] = await Promise.all([api('queues'), api('nodes'), api('audit?limit=500'),
    api('queues/activity?span=hour')]);
  // who paused each queue: its newest pause or resume among the last 500 actions (newest first)
  const pausedBy = new Map();
  for (const entry of audit) {
    const queue = /^queue:(.*)$/.exec(entry.target);
    if (queue && ['pause_queue', 'resume_queue'].includes(entry.action) && !pausedBy.has(queue[1])) pausedBy.set(queue[1], entry);
  }
  return el('div', {}, el('h1', {}, 'Queues', el('a', { href: '#/flow', class: 'h-link' }, 'Flow control: limits, rates, keys, circuits »')), queueTable(queues, nodes, pausedBy, new Map(activity.map(a => [a.queue, a]))));
}

/**
 * A queue's last hour in three small lines: attempts completed and attempts failed per minute (zero where none
 * finished), and its lag where sampled (a gap where not); each with its peak in the tooltip.
 */
function sparklines(activity) {
  if (!activity) return el('span', { class: 'muted' }, 'no work this hour');
  const byStart = new Map(activity.lag.map(p => [p.start, p.lagMs]));
  const lines = [
    ['throughput', activity.stats.map(p => p.completed), COLORS.green, v => v + ' completed/min'],
    ['failures', activity.stats.map(p => p.failed + p.discarded), COLORS.red, v => v + ' failed/min'],
    ['lag', activity.stats.length ? activity.stats.map(p => byStart.has(p.start) ? byStart.get(p.start) : null)
      : activity.lag.map(p => p.lagMs), COLORS.amber, v => duration(v) + ' lag']];
  return el('div', { class: 'sparks' }, lines.map(([name, values, color, label]) =>
    sparkline(activity.queue + ':' + name, values, color, name + ', peak ' + label(Math.max(0, ...values.filter(v => v !== null))))));
}

function sparkline(key, values, color, title) {
  const width = 90, height = 18;
  const max = Math.max(1, ...values.filter(v => v !== null));
  const step = values.length > 1 ? width / (values.length - 1) : width;
  // one polyline per run of values, so that an unsampled minute is a gap
  const runs = [[]];
  values.forEach((v, i) => v === null ? runs.push([]) : runs[runs.length - 1].push((i * step).toFixed(1) + ',' + (height - 1 - (height - 2) * v / max).toFixed(1)));
  return svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width, height, class: 'spark', 'data-spark': key },
    svg('title', {}, title),
    runs.filter(run => run.length).map(run => run.length === 1
      ? svg('circle', { cx: run[0].split(',')[0], cy: run[0].split(',')[1], r: 1.5, fill: color })
      : svg('polyline', { points: run.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5 })));
}

/**
 * The nodes polling a queue on their own (they keep finding work), while enqueues into it skip their notification
 * (docs/architecture.md, "The wake-up"); nothing when none does.
 */
function pollingNodes(q) {
  if (!q.pollingNodes || !q.pollingNodes.length) return null;
  return el('div', { class: 'muted', 'data-polling': q.name,
    title: 'these nodes keep finding work and poll the queue every few milliseconds, so enqueues into it skip their '
      + 'notification; each promise is renewed while its node stays busy (docs/architecture.md, "The wake-up")' },
    'notifications skipped while ', q.pollingNodes.map((p, i) => [i ? ', ' : '', p.nodeId + ' polls, until ', when(p.pollsUntil)]));
}

/**
 * The queues with their numbers, the live nodes that work each ({@code nodes}: api/nodes), who paused a paused
 * one ({@code pausedBy}: queue name to its newest pause or resume audit entry, when known) and the actions.
 */
function queueTable(queues, nodes, pausedBy, activity) {
  const working = name => nodes.filter(n => n.alive && n.queues.includes(name)).map(n => n.id);
  return table(['Queue', 'State', 'Waiting#', 'Running#', 'Lag#', 'Concurrency#', 'Limit', 'Max depth#', activity ? 'Last hour: done, failed, lag' : null, 'Nodes', ''].filter(h => h !== null), queues.map(q => el('tr', { 'data-queue': q.name },
    el('td', {}, el('a', { href: '#/jobs?queue=' + encodeURIComponent(q.name) }, q.name)),
    el('td', { 'data-state-of': q.name }, q.paused ? [badge('paused'), pausedBy && pausedBy.get(q.name)?.action === 'pause_queue'
      ? [' by ', pausedBy.get(q.name).actor, ' ', when(pausedBy.get(q.name).at)] : null] : el('span', { class: 'muted' }, 'active')),
    el('td', { class: 'num' }, count(q.waiting)),
    el('td', { class: 'num' }, q.running),
    el('td', { class: 'num' }, duration(isoDurationMs(q.lag))),
    el('td', { class: 'num', 'data-concurrency': q.name, title: 'jobs the live nodes working it run at once, summed over them' },
      q.concurrency === null ? '—' : q.concurrency),
    flowLimitCell(q),
    el('td', { class: 'num', 'data-max-depth': q.name, title: 'runnable jobs past which enqueueing is refused or waits (none: unbounded)' },
      q.maxDepth === null ? '—' : q.maxDepth),
    activity ? el('td', {}, sparklines(activity.get(q.name))) : null,
    el('td', { class: 'mono', 'data-nodes': q.name }, working(q.name).join(', ') || el('span', { class: 'muted' }, 'none'),
      pollingNodes(q)),
    el('td', {}, el('div', { class: 'actions' }, q.paused
      ? actionButton('Resume', async () => { await api('queues/' + encodeURIComponent(q.name) + '/resume', { method: 'POST' }); flash('Queue ' + q.name + ' resumed'); render(); })
      : actionButton('Pause', async () => { await api('queues/' + encodeURIComponent(q.name) + '/pause', { method: 'POST' }); flash('Queue ' + q.name + ' paused'); render(); }),
      actionButton('Remove', async () => {
        if (!confirm('Forget the settings of queue ' + q.name + ' (paused, limit)? It leaves the list once it has no jobs and no recent work.')) return;
        const result = await api('queues/' + encodeURIComponent(q.name) + '/remove', { method: 'POST' });
        flash(result.removed ? 'Queue ' + q.name + ' removed' : 'Queue ' + q.name + ' had no settings to remove');
        render();
      })))
  )), 'No queues yet: queues appear once they have jobs or settings.');
}

// ---- jobs ---------------------------------------------------------------------------------------------------

const FILTER_FIELDS = ['state', 'queue', 'kind', 'tag', 'args', 'createdFrom', 'createdTo', 'finishedFrom', 'finishedTo',
  'deadLetterGroup'];

const DATE_HINT = '2026-01-31, 2026-01-31 14:00 or an ISO instant';

/**
 * A typed date as the instant the API takes: a plain date ("2026-01-31") or date and time ("2026-01-31 14:00")
 * in the browser's time zone, which is the operator's; anything else goes as typed, for the server to accept
 * (an ISO instant) or refuse naming the field.
 */
function toInstant(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/.exec(text.trim());
  if (!m) return text.trim();
  const date = new Date(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0));
  return date.getMonth() === +m[2] - 1 && date.getDate() === +m[3] ? date.toISOString() : text.trim();
}

/** The midnight that starts the day {@code days} before the database's today, in the browser's time zone. */
function dayStart(days) {
  const midnight = new Date(databaseNow());
  midnight.setHours(0, 0, 0, 0);
  midnight.setDate(midnight.getDate() - days);
  return midnight;
}

/**
 * Ranges up to now that an operator asks for most, as [label, start()], the start taken when chosen: counted
 * from the database's time (the times they filter on are the database's), "today" and the 7 days in the
 * browser's time zone, the operator's.
 */
const DATE_PRESETS = [['last hour', () => new Date(databaseNow() - 3600e3)], ['today', () => dayStart(0)],
  ['last 7 days', () => dayStart(6)]];

function filterQuery(params) {
  const query = new URLSearchParams();
  for (const field of FILTER_FIELDS) if (params.get(field)) query.set(field, params.get(field));
  return query;
}

async function jobsPage(params) {
  const query = filterQuery(params);
  if (params.get('before')) query.set('before', params.get('before'));
  // a filter the server refuses (400, "createdFrom: ...") is shown beside its field, with the filters kept
  let page, filterError = null;
  const counts = api('jobs/counts');
  try {
    page = await api('jobs?' + query);
  } catch (e) {
    if (e.status !== 400) throw e;
    filterError = e.message;
    page = { jobs: [], nextBefore: '', partial: false };
  }
  const { states: stateCounts, queues: queueCounts, kinds: kindCounts, window } = await counts;
  const errorFor = name => filterError && filterError.startsWith(name + ':')
    ? el('span', { class: 'field-error', 'data-error-for': name }, filterError.slice(name.length + 1).trim()) : null;
  // the ticked jobs still on the page stay ticked through a refresh
  const selected = ui.selected;
  const shown = new Set(page.jobs.map(job => job.id));
  for (const id of [...selected]) if (!shown.has(id)) selected.delete(id);
  const states = new Set((params.get('state') || '').split(',').filter(Boolean));

  const go = changes => {
    const next = filterQuery(params);
    for (const [key, value] of Object.entries(changes)) value ? next.set(key, value) : next.delete(key);
    location.hash = '#/jobs' + (next.toString() ? '?' + next : '');
  };
  const inputs = {};
  const field = (name, label, placeholder, cls) => el('label', {}, label,
    inputs[name] = el('input', { name, value: params.get(name) || '', placeholder, class: cls || '',
      'aria-invalid': errorFor(name) ? 'true' : null, onkeydown: e => { if (e.key === 'Enter') apply(); } }),
    errorFor(name));
  const apply = () => {
    const changes = { before: '' };
    for (const [name, input] of Object.entries(inputs)) changes[name] = /(From|To)$/.test(name) ? toInstant(input.value) : input.value.trim();
    go(changes);
  };
  const chips = el('div', { class: 'chips' }, STATES.map(state => el('button', {
    type: 'button', class: 'chip' + (states.has(state) ? ' on' : ''), 'data-filter-state': state,
    onclick: () => { states.has(state) ? states.delete(state) : states.add(state); go({ state: [...states].join(','), before: '' }); }
  }, state, el('span', { class: 'n', 'data-count-of': state }, count(stateCounts[state.toUpperCase()])))));
  // the queues and kinds of the newest jobs, biggest first, each a link that filters on it
  const facet = (name, label, counted) => Object.keys(counted).length ? el('div', { class: 'facets', 'data-facets': name },
    el('span', { class: 'muted' }, label + ':'), Object.entries(counted).slice(0, 12).map(([value, n]) =>
      el('button', { type: 'button', class: 'chip' + (params.get(name) === value ? ' on' : ''), 'data-facet': name + ':' + value,
        onclick: () => go({ [name]: params.get(name) === value ? '' : value, before: '' }) },
        value, el('span', { class: 'n' }, n.toLocaleString())))) : null;
  const presets = (from, to) => el('span', { class: 'presets' }, DATE_PRESETS.map(([label, start]) =>
    el('button', { type: 'button', class: 'link', 'data-preset': from + ':' + label,
      onclick: () => go({ [from]: start().toISOString(), [to]: '', before: '' }) }, label)));

  const bulkBar = el('div', { class: 'bar' });
  const renderBulk = () => append(bulkBar.replaceChildren() || bulkBar, [
    el('span', { class: 'muted' }, selected.size ? selected.size + ' selected' : 'Select jobs, or act on everything matching the filter:'),
    ['retry', 'cancel', 'delete'].map(action => actionButton(
      (selected.size ? action + ' selected' : action + ' all matching…'),
      () => selected.size ? bulkIds(action, [...selected]) : bulkMatching(action, query, bulkBar),
      action === 'delete' ? 'danger' : ''))]);
  renderBulk();

  const rows = page.jobs.map(job => el('tr', { 'data-job': job.id },
    el('td', {}, el('input', { type: 'checkbox', 'aria-label': 'select job ' + job.id,
      'data-key': 'select-' + job.id, checked: selected.has(job.id),
      onchange: e => { e.target.checked ? selected.add(job.id) : selected.delete(job.id); renderBulk(); } })),
    el('td', { class: 'num' }, el('a', { href: '#/jobs/' + job.id }, job.id)),
    el('td', {}, job.kind), el('td', {}, job.queue), el('td', {}, badge(job.state)),
    el('td', { class: 'mono preview', title: JSON.stringify(job.args) }, argsPreview(job.args)),
    el('td', { class: 'num' }, job.attempt + '/' + job.maxAttempts),
    el('td', {}, when(job.createdAt)), el('td', {}, when(job.finishedAt)),
    el('td', { class: 'err', title: job.lastError || '' }, job.lastError || '')));
  const allOnPage = el('input', { type: 'checkbox', 'aria-label': 'select every job on this page', 'data-key': 'select-page',
    checked: page.jobs.length > 0 && page.jobs.every(job => selected.has(job.id)),
    onchange: e => {
      for (const job of page.jobs) e.target.checked ? selected.add(job.id) : selected.delete(job.id);
      for (const box of document.querySelectorAll('tbody input[type=checkbox]')) box.checked = e.target.checked;
      renderBulk();
    } });
  const jump = el('input', { name: 'jump', placeholder: 'job id', class: 'narrow', inputmode: 'numeric',
    onkeydown: e => { if (e.key === 'Enter' && /^\d+$/.test(e.target.value.trim())) location.hash = '#/jobs/' + e.target.value.trim(); } });

  return el('div', {},
    el('h1', {}, 'Jobs'),
    el('div', { class: 'panel' },
      el('div', { class: 'filters' }, chips,
        params.get('deadLetterGroup') ? el('span', { class: 'chip on', 'data-filter-group': params.get('deadLetterGroup') },
          'dead-letter group ' + params.get('deadLetterGroup').slice(0, 8) + '… ',
          el('button', { type: 'button', 'aria-label': 'clear the dead-letter group', onclick: () => go({ deadLetterGroup: '', before: '' }) }, '×'))
          : null,
        // an error of a parameter without a field of its own (state, before)
        filterError && !Object.keys(inputs).some(name => filterError.startsWith(name + ':'))
          ? el('span', { class: 'field-error', 'data-error-for': 'filter' }, filterError) : null),
      el('div', { class: 'filters', style: 'margin-top:10px' },
        field('queue', 'Queue', 'any'), field('kind', 'Kind', 'any'), field('tag', 'Tag', 'any'),
        field('args', 'Args', 'customer_id = 42 and plan != "free"', 'wide'),
        field('createdFrom', 'Created from', DATE_HINT), field('createdTo', 'Created before', ''), presets('createdFrom', 'createdTo'),
        field('finishedFrom', 'Finished from', ''), field('finishedTo', 'Finished before', ''), presets('finishedFrom', 'finishedTo'),
        el('button', { type: 'button', class: 'primary', onclick: apply }, 'Filter'),
        el('button', { type: 'button', onclick: () => { location.hash = '#/jobs'; } }, 'Clear'),
        el('label', { class: 'jump' }, 'Go to job', jump)),
      facet('queue', 'Queues', queueCounts), facet('kind', 'Kinds', kindCounts),
      el('div', { class: 'muted' }, 'State counts stop at 10,000; queues and kinds are counted among the newest '
        + window.toLocaleString() + ' jobs.')),
    bulkBar,
    table([allOnPage, 'Id#', 'Kind', 'Queue', 'State', 'Args', 'Attempt#', 'Created', 'Finished', 'Last error'], rows,
      filterError ? 'Fix the filter to see jobs.' : page.partial ? 'No jobs match among those searched.' : 'No jobs match.'),
    el('div', { class: 'bar' },
      params.get('before') ? el('a', { href: '#/jobs' + (filterQuery(params).toString() ? '?' + filterQuery(params) : '') }, '« Newest') : null,
      // a partial page: the server searched a bounded range of ids (filters no index narrows) and stopped there
      page.partial ? [el('span', { class: 'muted', 'data-searched': '' }, 'Searched jobs down to #' + page.nextBefore),
        el('button', { type: 'button', 'data-next': '', onclick: () => go({ before: String(page.nextBefore) }) }, 'Search older')]
        : page.nextBefore ? el('a', { href: '#/jobs?' + new URLSearchParams({ ...Object.fromEntries(filterQuery(params)), before: page.nextBefore }), 'data-next': '' }, 'Older »')
        : el('span', { class: 'muted', 'data-end': '' }, 'No more jobs.')));
}

/** A job's args in one short line: "customer_id: 42, plan: free". */
function argsPreview(args) {
  const text = args && typeof args === 'object' ? Object.entries(args)
    .map(([key, value]) => key + ': ' + (value !== null && typeof value === 'object' ? JSON.stringify(value) : value)).join(', ')
    : JSON.stringify(args);
  return text.length > 60 ? text.slice(0, 59) + '…' : text;
}

async function bulkIds(action, ids) {
  if (!confirm(action + ' ' + ids.length + ' job(s)?')) return;
  const result = await api('bulk', { method: 'POST', body: { action, ids } });
  flash(action + ': ' + result.changed + ' of ' + result.scanned + ' changed');
  ui.selected.clear();
  render();
}

/**
 * Previews how many jobs the filter matches, then runs the action in batches, showing progress. From the
 * preview on no live refresh replaces the bar it reports into, and once it ends its result stays until the
 * operator asks for the list again (or leaves the page): a refresh must not make the outcome vanish unread.
 */
async function bulkMatching(action, query, bar) {
  ui.busy = true;
  let stop = null;
  try {
    const preview = await api('jobs/count?' + query);
    const total = preview.value;
    if (!total) { flash('No jobs match the filter'); ui.busy = false; return; }
    if (!confirm(action + ' ' + count(preview) + ' job(s) matching the filter?')) { ui.busy = false; return; }
    let cursor = null, scanned = 0, changed = 0, stopped = false;
    const fill = el('div');
    const status = el('span', { 'data-progress': '' }, '');
    stop = el('button', { type: 'button', onclick: () => { stopped = true; } }, 'Stop');
    bar.replaceChildren(el('div', { class: 'progress' }, fill), status, stop);
    while (!stopped) {
      const body = { action, ...Object.fromEntries(query) };
      if (cursor) body.cursor = cursor;
      const batch = await api('bulk', { method: 'POST', body });
      scanned += batch.scanned; changed += batch.changed; cursor = batch.nextCursor;
      fill.style.width = Math.min(100, 100 * scanned / total) + '%';
      status.textContent = scanned.toLocaleString() + ' / ' + count(preview) + ' processed, ' + changed.toLocaleString() + ' changed';
      if (batch.done) break;
    }
    flash(action + (stopped ? ' stopped: ' : ' done: ') + changed + ' changed');
  } catch (e) {
    ui.busy = stop !== null; // a failed batch leaves its progress on the page, with the error flashed
    throw e;
  } finally {
    if (stop) stop.replaceWith(el('button', { type: 'button', onclick: () => { ui.busy = false; render(); } }, 'Show the list again'));
  }
}

// ---- one job ------------------------------------------------------------------------------------------------

async function jobPage(id) {
  const [{ job, attempts }, groups] = await Promise.all([api('jobs/' + encodeURIComponent(id)),
    api('jobs/' + encodeURIComponent(id) + '/groups')]);
  const pretty = value => el('pre', {}, JSON.stringify(value, null, 2));
  const act = action => async () => {
    if (action === 'delete' && !confirm('Delete job ' + job.id + '?')) return;
    const result = await api('jobs/' + job.id + '/' + action, { method: 'POST' });
    flash(result.changed ? action + ': done' : action + ': not possible in state ' + job.state, !result.changed);
    if (action === 'delete' && result.changed) location.hash = '#/jobs'; else render();
  };
  const editor = el('textarea', { 'aria-label': 'args of the copy' }, JSON.stringify(job.args, null, 2));
  const cloneBox = el('div', { class: 'panel', hidden: true },
    el('div', { class: 'muted' }, 'Edit the args of the copy. Redacted fields are sent exactly as shown.'),
    editor,
    el('div', { class: 'actions', style: 'margin-top:8px' },
      actionButton('Enqueue copy', async () => {
        let args;
        try { args = JSON.parse(editor.value); } catch (e) { throw new Error('args: not valid JSON: ' + e.message); }
        const result = await api('jobs/' + job.id + '/clone', { method: 'POST', body: { args } });
        flash('Enqueued job ' + result.id);
        location.hash = '#/jobs/' + result.id;
      }, 'primary')));

  const timeline = [['created', job.createdAt, ''], ['due', job.runAt, '']];
  for (const a of attempts) {
    timeline.push(['attempt ' + a.attempt + ' started on ' + (a.nodeId || '?'), a.startedAt, '']);
    timeline.push(['attempt ' + a.attempt + ' ' + a.outcome.toLowerCase() + (a.errorClass ? ': ' + a.errorClass : ''),
      a.finishedAt, a.outcome === 'COMPLETED' ? 'ok' : 'bad']);
  }
  if (job.state === 'running') timeline.push(['running since', job.startedAt, '']);
  if (job.cancelRequestedAt) timeline.push(['cancel requested', job.cancelRequestedAt, 'bad']);
  if (job.finishedAt) timeline.push([job.state, job.finishedAt, job.state === 'completed' ? 'ok' : 'bad']);
  timeline.sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));

  return el('div', {},
    el('h1', {}, 'Job ' + job.id, badge(job.state), el('span', { class: 'mono' }, job.kind)),
    el('div', { class: 'actions', style: 'margin-bottom:12px' },
      // only what the job's state allows (JobClient: retry all but available or running jobs, cancel unfinished
      // ones, delete all but running ones)
      !['available', 'running'].includes(job.state) ? actionButton('Retry now', act('retry'), 'primary') : null,
      ['available', 'scheduled', 'retryable', 'running'].includes(job.state) ? actionButton('Cancel', act('cancel')) : null,
      job.state !== 'running' ? actionButton('Delete', act('delete'), 'danger') : null,
      skipButton(job, () => render()),
      actionButton('Clone with edited args…', async () => { cloneBox.hidden = !cloneBox.hidden; ui.busy = !cloneBox.hidden; })),
    cloneBox,
    el('div', { class: 'grid2' },
      el('div', { class: 'panel' }, el('dl', { class: 'kv' },
        [['queue', job.queue], ['priority', job.priority], ['attempt', job.attempt + ' of ' + job.maxAttempts],
          ['tags', job.tags.join(', ') || '—'], ['idempotency key', job.idempotencyKey || '—'], ['node', job.nodeId || '—']]
          .map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
        jobKeys(job),
        [['created', job.createdAt], ['run at', job.runAt], ['started', job.startedAt], ['finished', job.finishedAt],
          ['lease expires', job.leaseExpiresAt]].map(([k, v]) => [el('dt', {}, k), el('dd', {}, when(v), v ? ' · ' + v : '')]),
        job.progress === null ? null : [el('dt', {}, 'progress'), el('dd', { 'data-progress': '' },
          el('progress', { max: 100, value: job.progress }), ' ' + job.progress + ' %',
          job.progressMessage ? ' · ' + job.progressMessage : '')],
        job.lastError ? [el('dt', {}, 'last error'), el('dd', { class: 'mono error-text' }, job.lastError)] : null,
        jobGroupsLine(groups))),
      el('div', { class: 'panel' }, el('strong', {}, 'Timeline'), el('ul', { class: 'timeline' },
        timeline.map(([what, at, cls]) => el('li', { class: cls }, what, ' ', el('span', { class: 'muted' }, when(at))))))),
    el('div', { class: 'grid2' },
      el('div', {}, el('h2', {}, 'Args'), pretty(job.args), job.checkpoint === null ? null
        : [el('h2', {}, 'Checkpoint', el('span', { class: 'muted' }, 'where the next attempt resumes')),
          el('pre', { 'data-checkpoint': '' }, JSON.stringify(job.checkpoint, null, 2))]),
      el('div', {}, el('h2', {}, 'Metadata'), pretty(job.metadata), job.result === null ? null : [el('h2', {}, 'Result'), pretty(job.result)])),
    el('h2', {}, 'Attempts'),
    table(['#', 'Node', 'Started', 'Duration#', 'Outcome', 'Error'], attempts.map(a => el('tr', {},
      el('td', {}, a.attempt), el('td', {}, a.nodeId || '—'), el('td', {}, when(a.startedAt)),
      el('td', { class: 'num' }, duration(Date.parse(a.finishedAt) - Date.parse(a.startedAt))),
      el('td', { 'data-outcome': a.attempt }, attemptOutcome(a, job, attempts)),
      el('td', {}, a.errorClass ? el('div', { class: 'mono' }, a.errorClass + (a.message ? ': ' + a.message : '')) : '',
        a.stackTrace ? el('details', { 'data-key': 'stack-' + a.attempt }, el('summary', {}, 'stack trace'), el('pre', {}, a.stackTrace)) : null))),
    'No attempts yet.'));
}

/**
 * What came of an attempt: its outcome, and for a failure what followed, since a failed attempt is not a dead
 * letter unless it was the last: "failed → retried" when a later attempt ran, else what the job's state says.
 */
function attemptOutcome(attempt, job, attempts) {
  const outcome = attempt.outcome.toLowerCase();
  if (attempt.outcome === 'COMPLETED') return badge('completed');
  if (attempt.outcome === 'CANCELLED') return badge('cancelled');
  if (attempt.outcome === 'SNOOZED') return [badge('scheduled'), ' snoozed'];
  const later = attempts.some(other => other.attempt > attempt.attempt);
  const then = later ? 'retried' : job.state === 'discarded' ? 'discarded' : job.state === 'retryable' ? 'will retry'
    : job.state === 'cancelled' ? 'cancelled' : job.state;
  return [badge(then === 'discarded' ? 'discarded' : 'retryable'), ' ', outcome + ' → ' + then];
}

// ---- dead letters, schedules, nodes, audit -------------------------------------------------------------------

async function deadLettersPage() {
  const groups = await api('dead-letters');
  const groupAction = (g, action) => async () => {
    if (!confirm(action + ' all ' + g.jobs + ' dead letters of this group?')) return;
    ui.busy = true;
    let changed = 0;
    try {
      for (;;) {
        const batch = await api('dead-letters/' + g.fingerprint + '/' + action, { method: 'POST', body: { batchSize: 200 } });
        changed += batch.changed;
        if (batch.done) break;
      }
    } finally { ui.busy = false; }
    flash(action + ': ' + changed + ' job(s)');
    render();
  };
  return el('div', {},
    el('h1', {}, 'Dead letters', el('span', { class: 'muted' }, 'discarded jobs grouped by error; digits and ids masked')),
    table(['Jobs#', 'Error class', 'Message pattern', 'Last failed', 'Latest', ''], groups.map(g => el('tr', { 'data-group': g.fingerprint },
      el('td', { class: 'num' }, el('a', { href: '#/jobs?deadLetterGroup=' + g.fingerprint, 'data-group-jobs': g.fingerprint,
        title: 'list the jobs of this group' }, g.jobs)), el('td', { class: 'mono' }, g.errorClass),
      // the pattern starts with the error class, shown in its own column
      el('td', { class: 'err', title: g.pattern }, g.pattern.startsWith(g.errorClass + ':')
        ? g.pattern.slice(g.errorClass.length + 1).trim() : g.pattern), el('td', {}, when(g.lastFailedAt)),
      el('td', {}, el('a', { href: '#/jobs/' + g.latestJobId }, '#' + g.latestJobId)),
      el('td', {}, el('div', { class: 'actions' }, actionButton('Retry all', groupAction(g, 'retry'), 'primary'),
        actionButton('Delete all', groupAction(g, 'delete'), 'danger'))))),
    'No dead letters. Nice.'));
}

async function schedulesPage() {
  const [schedules, clock] = await Promise.all([api('schedules'), api('clock')]);
  const post = (s, what) => async () => {
    const result = await api('schedules/' + encodeURIComponent(s.name) + '/' + what, { method: 'POST' });
    flash(what === 'trigger' ? 'Enqueued job ' + result.id : 'Schedule ' + s.name + ' ' + what + 'd');
    render();
  };
  return el('div', {},
    el('h1', {}, 'Schedules'),
    scheduleClock(clock),
    table(['Name', 'When', 'Zone', 'Kind', 'Queue', 'State', 'Next fire times', 'Last fired', 'Recent runs', ''], schedules.map(s => el('tr', { 'data-schedule': s.name },
      el('td', {}, s.name),
      el('td', {}, el('div', { class: 'mono' }, s.expression), el('div', { class: 'muted', 'data-summary': s.name, title: s.description || '' }, s.summary || '')),
      el('td', {}, s.timeZone), el('td', { class: 'mono' }, s.kind), el('td', {}, s.queue),
      el('td', {}, s.paused ? badge('paused') : badge('enabled')),
      el('td', {}, s.nextFireTimes.map(t => el('div', { title: t }, inZone(t, s.timeZone)))),
      el('td', {}, when(s.lastFireAt)),
      el('td', {}, s.recentRuns.length ? el('ul', { class: 'runs' }, s.recentRuns.map(runLine)) : el('span', { class: 'muted' }, 'none yet')),
      el('td', {}, el('div', { class: 'actions nowrap' }, s.paused ? actionButton('Resume', post(s, 'resume')) : actionButton('Pause', post(s, 'pause')),
        actionButton('Trigger now', post(s, 'trigger')))))),
    'No schedules yet.'));
}

/**
 * The clock the next fire times are computed on (V33's schedule_clock()): the database's, or, when something
 * moved it ahead (a test kit run against this database), a warning saying by how much, since schedules fire that
 * much early.
 */
function scheduleClock(clock) {
  const ahead = Date.parse(clock.schedules) - Date.parse(clock.now);
  if (Math.abs(ahead) < 1000) {
    return el('div', { class: 'muted', 'data-schedule-clock': 'database' },
      'Fire times by the schedules\' clock, the database\'s: ' + new Date(clock.now).toLocaleString() + '.');
  }
  return el('div', { class: 'panel warn', 'data-schedule-clock': 'moved' },
    'The schedules\' clock (schedule_clock(), migration V33) reads ' + new Date(clock.schedules).toLocaleString()
    + ', ' + duration(Math.abs(ahead)) + (ahead > 0 ? ' ahead of' : ' behind') + ' the database\'s time: schedules fire that much '
    + (ahead > 0 ? 'early' : 'late') + '. pgjobs never moves it; a test kit run against this database does (docs/cron.md).');
}

/** One run of a schedule: its job (a link), state, when it started (or was fired), how long it took. */
function runLine(run) {
  const state = run.state ? run.state.toLowerCase() : null;
  const took = run.startedAt && run.finishedAt ? duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt)) : '';
  return el('li', { 'data-run': run.jobId, title: 'fired ' + run.fireTime + (run.startedAt ? ', started ' + run.startedAt : '')
      + (run.finishedAt ? ', finished ' + run.finishedAt : '') },
    el('a', { class: 'mono', href: '#/jobs/' + run.jobId }, '#' + run.jobId), ' ',
    state ? badge(state) : el('span', { class: 'muted' }, 'deleted'), ' ',
    when(run.startedAt || run.fireTime), took ? ' · ' + took : '', run.manual ? el('span', { class: 'muted' }, ' · manual') : null);
}

/** A fire time as the schedule's own zone sees it (the zone the cron expression is read in). */
function inZone(iso, zone) {
  try {
    // the zone is in its own column
    return new Date(iso).toLocaleString('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' });
  } catch (unknownZone) {
    return iso;
  }
}

async function nodesPage() {
  const nodes = await api('nodes');
  return el('div', {},
    el('h1', {}, 'Nodes', el('span', { class: 'muted' }, 'dead: stopped, or no heartbeat for 60 s')),
    table(['Node', 'Status', 'Host', 'Pid#', 'Version', 'Queues (concurrency)', 'Running#', 'Heartbeat', 'Started'], nodes.map(n => el('tr', {},
      el('td', { class: 'mono' }, n.id),
      // a dead node keeps its leader mark until another takes over: only a live one leads
      el('td', {}, badge(n.alive ? 'alive' : 'dead'), n.alive && n.leaderSince ? [' ', badge('leader'), ' ', since(n.leaderSince)] : null),
      el('td', {}, n.host),
      el('td', { class: 'num' }, n.pid), el('td', {}, n.version), el('td', { 'data-node-queues': n.id }, n.queues.map(q => n.concurrency[q] ? q + ' ×' + n.concurrency[q] : q).join(', ') || '—'),
      el('td', { class: 'num' }, n.runningJobs), el('td', {}, when(n.heartbeatAt)), el('td', {}, when(n.startedAt)))),
    'No nodes have registered yet.'));
}

/**
 * An audit entry's details (a JSON object) as "key: value" pairs: lists of ids shortened to their first ten and
 * their number, a bulk action's filter as its fields ("state=discarded queue=mail").
 */
function details(detail) {
  if (!detail || typeof detail !== 'object') return detail === null || detail === undefined ? '' : String(detail);
  const value = v => Array.isArray(v) ? (v.length > 10 ? v.slice(0, 10).join(', ') + ' … (' + v.length + ')' : v.join(', ') || 'none')
    : v !== null && typeof v === 'object' ? Object.entries(v).map(([k, x]) => k + '=' + value(x)).join(' ') || 'everything'
    : String(v);
  return Object.entries(detail).map(([key, v]) => key + ': ' + value(v)).join(' · ');
}

const AUDIT_FILTERS = ['actor', 'action', 'from', 'to'];
/** The actions the audit log names, offered as suggestions: the field takes any action name. */
const AUDIT_ACTIONS = ['retry', 'cancel', 'delete', 'clone', 'bulk_retry', 'bulk_cancel', 'bulk_delete', 'dead_letters_retry',
  'dead_letters_delete', 'pause_queue', 'resume_queue', 'remove_queue', 'pause_schedule', 'resume_schedule', 'trigger_schedule',
  'open_circuit', 'close_circuit', 'reset_circuit', 'open_partition_circuit', 'close_partition_circuit', 'reset_partition_circuit'];

async function auditPage(params) {
  const query = new URLSearchParams({ limit: '100' });
  for (const name of [...AUDIT_FILTERS, 'before']) if (params.get(name)) query.set(name, params.get(name));
  // a filter the server refuses is shown above the table, with the filters kept
  let entries, filterError = null;
  try {
    entries = await api('audit?' + query);
  } catch (e) {
    if (e.status !== 400) throw e;
    filterError = e.message;
    entries = [];
  }
  const target = t => {
    const job = /^job:(\d+)$/.exec(t);
    return job ? el('a', { href: '#/jobs/' + job[1] }, t) : t;
  };
  const inputs = {};
  const apply = () => {
    const next = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs)) {
      if (input.value.trim()) next.set(name, name === 'from' || name === 'to' ? toInstant(input.value) : input.value.trim());
    }
    location.hash = '#/audit' + (next.toString() ? '?' + next : '');
  };
  const enter = e => { if (e.key === 'Enter') apply(); };
  const older = new URLSearchParams(query);
  older.delete('limit');
  if (entries.length === 100) older.set('before', entries[99].id);
  return el('div', {},
    el('h1', {}, 'Audit log'),
    el('div', { class: 'panel' }, el('div', { class: 'filters' },
      el('label', {}, 'Who', inputs.actor = el('input', { name: 'actor', value: params.get('actor') || '', placeholder: 'anyone', onkeydown: enter })),
      el('label', {}, 'Action', inputs.action = el('input', { name: 'action', list: 'audit-actions', value: params.get('action') || '',
        placeholder: 'any', onkeydown: enter, onchange: apply }),
        el('datalist', { id: 'audit-actions' }, AUDIT_ACTIONS.map(a => el('option', { value: a })))),
      el('label', {}, 'From', inputs.from = el('input', { name: 'from', value: params.get('from') || '', placeholder: DATE_HINT, onkeydown: enter })),
      el('label', {}, 'Before', inputs.to = el('input', { name: 'to', value: params.get('to') || '', placeholder: '', onkeydown: enter })),
      el('span', { class: 'presets' }, DATE_PRESETS.map(([label, start]) => el('button', { type: 'button', class: 'link',
        'data-preset': 'from:' + label, onclick: () => { inputs.from.value = start().toISOString(); inputs.to.value = ''; apply(); } }, label))),
      el('button', { type: 'button', class: 'primary', onclick: apply }, 'Filter'),
      el('button', { type: 'button', onclick: () => { location.hash = '#/audit'; } }, 'Clear')),
      filterError ? el('div', { class: 'field-error', 'data-error-for': 'audit' }, filterError) : null),
    table(['When', 'Who', 'Action', 'Target', 'Details'], entries.map(e => el('tr', { 'data-audit': e.id },
      el('td', {}, when(e.at)), el('td', {}, e.actor), el('td', {}, e.action), el('td', {}, target(e.target)),
      el('td', { class: 'details' }, details(e.detail)))), filterError ? 'Fix the filter to see actions.' : 'No actions match.'),
    entries.length === 100 ? el('div', { class: 'bar' }, el('a', { href: '#/audit?' + older }, 'Older »')) : null);
}

// ---- start --------------------------------------------------------------------------------------------------

async function start() {
  document.getElementById('live').addEventListener('click', toggleLive);
  try {
    const [me] = await Promise.all([api('session'), syncClock()]);
    Object.assign(session, me);
    document.getElementById('who').textContent = session.user + ' · ' + session.role;
  } catch (e) {
    document.getElementById('main').replaceChildren(el('div', { class: 'empty' }, 'Not signed in: ' + e.message));
    return;
  }
  window.addEventListener('hashchange', () => { ui.busy = false; ui.selected.clear(); render(); });
  await render();
  schedule();
  setInterval(showUpdated, 1000);
  // the browser's clock may be set, or drift, while the page stays open; a failed measure keeps the last offset
  setInterval(() => syncClock().catch(e => { ui.refreshError = 'clock: ' + e.message; showUpdated(); }), 60000);
}

start();
