// pgjobs dashboard: the workflow and batch pages (api/workflows, api/batches), loaded after app.js, whose helpers
// (el, svg, api, badge, table, when, duration, actionButton, flash, toInstant) they use. The same safety rule:
// every value from the server goes into the page as text or as an attribute, never as markup.
'use strict';

const WORKFLOW_STATES = ['running', 'completed', 'failed'];
const BATCH_STATES = ['open', 'running', 'finished'];
const STEP_STATES = ['pending', ...STATES];
/** A layer of the graph with more steps than this draws the first ones and one node standing for the rest. */
const LAYER_SHOWN = 25;
const STEPS_PER_PAGE = 100;
const NODE_W = 170, NODE_H = 34, GAP_X = 60, GAP_Y = 12, MARGIN = 10;

pages.workflows = (params, parts) => parts[1] ? workflowPage(parts[1], params) : workflowsPage(params);
pages.batches = batchesPage;

/** The name, state and created-time filters both lists share, as a panel that navigates to {@code base}. */
function groupFilters(base, params, states, counts, filterError) {
  const go = changes => {
    const next = new URLSearchParams(params);
    next.delete('before');
    for (const [key, value] of Object.entries(changes)) value ? next.set(key, value) : next.delete(key);
    location.hash = base + (next.toString() ? '?' + next : '');
  };
  const inputs = {};
  const field = (name, label, placeholder) => el('label', {}, label,
    inputs[name] = el('input', { name, value: params.get(name) || '', placeholder,
      onkeydown: e => { if (e.key === 'Enter') apply(); } }));
  const apply = () => {
    const changes = {};
    for (const [name, input] of Object.entries(inputs)) changes[name] = /(From|To)$/.test(name) ? toInstant(input.value) : input.value.trim();
    go(changes);
  };
  const current = params.get('state');
  return el('div', { class: 'panel' },
    el('div', { class: 'filters' }, el('div', { class: 'chips' }, states.map(state => el('button', {
      type: 'button', class: 'chip' + (current === state ? ' on' : ''), 'data-filter-state': state,
      onclick: () => go({ state: current === state ? '' : state })
    }, state, counts ? el('span', { class: 'n', 'data-count-of': state }, (counts[state.toUpperCase()] || 0).toLocaleString()) : null))),
    filterError ? el('span', { class: 'field-error', 'data-error-for': 'filter' }, filterError) : null),
    el('div', { class: 'filters', style: 'margin-top:10px' },
      field('name', 'Name starts with', 'any'), field('createdFrom', 'Created from', DATE_HINT),
      field('createdTo', 'Created before', ''),
      el('button', { type: 'button', class: 'primary', onclick: apply }, 'Filter'),
      el('button', { type: 'button', onclick: () => { location.hash = base; } }, 'Clear')));
}

/** Runs a list request; a filter the server refuses (400) is shown in the filter panel instead of the page failing. */
async function listOrError(path, empty) {
  try {
    return [await api(path), null];
  } catch (e) {
    if (e.status !== 400) throw e;
    return [empty, e.message];
  }
}

function listQuery(params) {
  const query = new URLSearchParams();
  for (const name of ['state', 'name', 'createdFrom', 'createdTo', 'before']) if (params.get(name)) query.set(name, params.get(name));
  return query;
}

/** "3 completed · 1 running" from counts by state. */
function stepCounts(steps) {
  return STEP_STATES.filter(s => steps[s.toUpperCase()]).map(s => steps[s.toUpperCase()].toLocaleString() + ' ' + s).join(' · ');
}

// ---- the workflows list -------------------------------------------------------------------------------------

async function workflowsPage(params) {
  const query = listQuery(params);
  const counts = api('workflows/counts');
  const [page, filterError] = await listOrError('workflows?' + query, { workflows: [], nextBefore: '', partial: false });
  const { states, window } = await counts;
  const older = new URLSearchParams(query);
  older.set('before', page.nextBefore);
  const newest = new URLSearchParams(query);
  newest.delete('before');
  return el('div', {},
    el('h1', {}, 'Workflows'),
    groupFilters('#/workflows', params, WORKFLOW_STATES, states, filterError),
    el('div', { class: 'muted' }, 'State counts are of the newest ' + window.toLocaleString() + ' workflows.'),
    table(['Id#', 'Name', 'State', 'Steps', 'Created', 'Ran for#'], page.workflows.map(w => el('tr', { 'data-workflow': w.id },
      el('td', { class: 'num' }, el('a', { href: '#/workflows/' + w.id }, w.id)), el('td', {}, w.name),
      el('td', {}, badge(w.state.toLowerCase())), el('td', {}, stepCounts(w.steps)), el('td', {}, when(w.createdAt)),
      el('td', { class: 'num' }, w.firstStartedAt ? duration((w.lastFinishedAt ? Date.parse(w.lastFinishedAt) : databaseNow()) - Date.parse(w.firstStartedAt)) : '—'))),
    filterError ? 'Fix the filter to see workflows.' : page.partial ? 'No workflows match among those searched.' : 'No workflows match.'),
    el('div', { class: 'bar' },
      params.get('before') ? el('a', { href: '#/workflows' + (newest.toString() ? '?' + newest : '') }, '« Newest') : null,
      page.partial ? el('span', { class: 'muted', 'data-searched': '' }, 'Searched workflows down to #' + page.nextBefore) : null,
      page.nextBefore ? el('a', { href: '#/workflows?' + older, 'data-next': '' }, page.partial ? 'Search older' : 'Older »')
        : el('span', { class: 'muted', 'data-end': '' }, 'No more workflows.')));
}

// ---- one workflow -------------------------------------------------------------------------------------------

async function workflowPage(id, params) {
  const workflow = await api('workflows/' + encodeURIComponent(id));
  const act = action => async () => {
    const what = action === 'cancel' ? 'Cancel every unfinished step of workflow ' + workflow.id + '?'
      : 'Run the failed steps of workflow ' + workflow.id + ' again (completed steps are not run again)?';
    if (!confirm(what)) return;
    const result = await api('workflows/' + workflow.id + '/' + action, { method: 'POST' });
    flash(action + ': ' + result.steps + ' step' + (result.steps === 1 ? '' : 's'), result.steps === 0);
    render();
  };
  const counts = {};
  for (const step of workflow.steps) counts[step.state.toUpperCase()] = (counts[step.state.toUpperCase()] || 0) + 1;
  const failed = workflow.steps.some(s => s.state === 'discarded' || s.state === 'cancelled');
  const unfinished = workflow.steps.some(s => !['completed', 'discarded', 'cancelled'].includes(s.state));
  return el('div', {},
    el('h1', {}, 'Workflow ' + workflow.id, badge(workflow.state), el('span', {}, workflow.name),
      // a saga's own state (running, compensating, compensated, compensation_failed, completed), when it is one
      workflow.sagaState ? el('span', { 'data-saga-state': workflow.sagaState }, 'saga ', badge(workflow.sagaState)) : null),
    el('div', { class: 'actions', style: 'margin-bottom:12px' },
      unfinished ? actionButton('Cancel workflow', act('cancel'), 'danger') : null,
      failed ? actionButton('Retry failed steps', act('retry'), 'primary') : null),
    el('div', { class: 'panel' }, el('dl', { class: 'kv' },
      [['steps', workflow.steps.length.toLocaleString() + ': ' + stepCounts(counts)],
        ['on failure', workflow.onFailure.replace('_', ' ')]].map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
      el('dt', {}, 'created'), el('dd', {}, when(workflow.createdAt), ' · ' + workflow.createdAt))),
    el('h2', {}, 'Graph'),
    el('div', { class: 'muted' }, 'Each step is drawn in the column after its deepest dependency; a step links to its job.'),
    el('div', { class: 'wf-graph scroll' }, graph(workflow.steps)),
    el('h2', {}, 'Steps'),
    stepTable(workflow, params));
}

/**
 * Layers by longest path: a step's layer is one after the deepest of its dependencies (steps come in the order
 * they were added, which puts every dependency first, so one pass does it).
 */
function layers(steps) {
  const layerOf = new Map();
  const result = [];
  for (const step of steps) {
    const layer = step.dependsOn.reduce((deepest, parent) => Math.max(deepest, (layerOf.get(parent) ?? -1) + 1), 0);
    layerOf.set(step.name, layer);
    (result[layer] = result[layer] || []).push(step);
  }
  return result;
}

/**
 * The steps as an SVG graph, one column per layer, each step a box coloured by its state with its name and
 * duration, linked to its job. A layer wider than LAYER_SHOWN draws its first steps and one box counting the
 * rest by state, which stands for them in the edges too (the steps table below lists them all).
 */
function graph(steps) {
  const nodeOf = new Map(); // step name -> the box that draws it
  const boxes = [];
  layers(steps).forEach((layer, column) => {
    const shown = layer.length > LAYER_SHOWN ? layer.slice(0, LAYER_SHOWN - 1) : layer;
    shown.forEach((step, row) => {
      const box = { x: MARGIN + column * (NODE_W + GAP_X), y: MARGIN + row * (NODE_H + GAP_Y), step };
      boxes.push(box);
      nodeOf.set(step.name, box);
    });
    if (shown.length < layer.length) {
      const rest = layer.slice(shown.length);
      const byState = {};
      for (const step of rest) byState[step.state.toUpperCase()] = (byState[step.state.toUpperCase()] || 0) + 1;
      const box = { x: MARGIN + column * (NODE_W + GAP_X), y: MARGIN + shown.length * (NODE_H + GAP_Y), rest, byState };
      boxes.push(box);
      for (const step of rest) nodeOf.set(step.name, box);
    }
  });
  const edges = new Set();
  const lines = [];
  for (const step of steps) {
    const to = nodeOf.get(step.name);
    for (const parent of step.dependsOn) {
      const from = nodeOf.get(parent);
      if (!from || edges.has(boxes.indexOf(from) + '>' + boxes.indexOf(to))) continue;
      edges.add(boxes.indexOf(from) + '>' + boxes.indexOf(to));
      const [x1, y1, x2, y2] = [from.x + NODE_W, from.y + NODE_H / 2, to.x, to.y + NODE_H / 2];
      lines.push(svg('path', { class: 'wf-edge', d: `M${x1},${y1} C${x1 + GAP_X / 2},${y1} ${x2 - GAP_X / 2},${y2} ${x2},${y2}` }));
    }
  }
  const width = Math.max(...boxes.map(b => b.x)) + NODE_W + MARGIN;
  const height = Math.max(...boxes.map(b => b.y)) + NODE_H + MARGIN;
  return svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'workflow graph' },
    lines, boxes.map(box => box.step ? stepNode(box) : restNode(box)));
}

function stepNode({ x, y, step }) {
  const ran = step.durationMs === null ? step.state : step.state + ' · ' + duration(step.durationMs);
  return svg('a', { href: '#/jobs/' + step.jobId, class: 'wf-node', 'data-step': step.name, 'data-state': step.state },
    svg('title', {}, step.name + ' (job ' + step.jobId + ', ' + step.kind + '): ' + ran
      + (step.attempt > 1 ? ', attempt ' + step.attempt + ' of ' + step.maxAttempts : '')
      + (step.lastError ? '\n' + step.lastError : '')
      + (step.compensation && step.compensation.jobId ? '\ncompensation ' + step.compensation.kind + ': '
        + step.compensation.state.toLowerCase() : '')),
    svg('rect', { x, y, width: NODE_W, height: NODE_H, rx: 5, class: 'wf-box s-' + step.state }),
    svg('text', { x: x + 8, y: y + 14, class: 'wf-name' }, clip(step.name, 24)),
    svg('text', { x: x + 8, y: y + 27, class: 'wf-meta' }, clip(ran, 28)));
}

function restNode({ x, y, rest, byState }) {
  return svg('g', { class: 'wf-node wf-rest', 'data-rest': rest.length },
    svg('title', {}, rest.length + ' more steps in this layer: ' + stepCounts(byState)),
    svg('rect', { x, y, width: NODE_W, height: NODE_H, rx: 5, class: 'wf-box' }),
    svg('text', { x: x + 8, y: y + 14, class: 'wf-name' }, '+ ' + rest.length.toLocaleString() + ' more steps'),
    svg('text', { x: x + 8, y: y + 27, class: 'wf-meta' }, clip(stepCounts(byState), 28)));
}

function clip(text, length) {
  return text.length > length ? text.slice(0, length - 1) + '…' : text;
}

/** Every step, a page of STEPS_PER_PAGE at a time, filterable by state (the page's own query: step, stepState). */
function stepTable(workflow, params) {
  const state = params.get('stepState') || '';
  const compensated = workflow.steps.some(s => s.compensation);
  const matching = workflow.steps.filter(s => !state || s.state === state);
  const pageCount = Math.max(1, Math.ceil(matching.length / STEPS_PER_PAGE));
  const page = Math.min(pageCount, Math.max(1, Number(params.get('stepPage')) || 1));
  const link = changes => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) value ? next.set(key, value) : next.delete(key);
    return '#/workflows/' + workflow.id + (next.toString() ? '?' + next : '');
  };
  const stateSelect = el('select', { 'aria-label': 'step state', onchange: e => { location.hash = link({ stepState: e.target.value, stepPage: '' }); } },
    el('option', { value: '' }, 'every state'),
    STEP_STATES.map(s => el('option', { value: s, selected: s === state }, s)));
  return el('div', {},
    el('div', { class: 'bar' }, stateSelect,
      el('span', { class: 'muted' }, matching.length.toLocaleString() + ' steps, page ' + page + ' of ' + pageCount),
      page > 1 ? el('a', { href: link({ stepPage: String(page - 1) }) }, '« Previous') : null,
      page < pageCount ? el('a', { href: link({ stepPage: String(page + 1) }), 'data-next-steps': '' }, 'Next »') : null),
    table(['Step', 'Job#', 'Kind', 'State', 'Attempt#', 'Depends on', 'Duration#', 'Last error', compensated ? 'Compensation' : null]
      .filter(Boolean),
      matching.slice((page - 1) * STEPS_PER_PAGE, page * STEPS_PER_PAGE).map(s => el('tr', { 'data-step-row': s.name },
        el('td', {}, s.name), el('td', { class: 'num' }, el('a', { href: '#/jobs/' + s.jobId }, s.jobId)),
        el('td', {}, s.kind), el('td', {}, badge(s.state)), el('td', { class: 'num' }, s.attempt + '/' + s.maxAttempts),
        el('td', { title: s.dependsOn.join(', ') }, s.dependsOn.length > 3 ? s.dependsOn.length.toLocaleString() + ' steps' : s.dependsOn.join(', ')),
        el('td', { class: 'num' }, duration(s.durationMs)),
        el('td', { class: 'err', title: s.lastError || '' }, s.lastError || ''),
        compensated ? el('td', { 'data-compensation': s.name }, compensation(s.compensation)) : null)),
      'No steps in this state.'));
}

/** A saga step's compensation: its kind, and once due its job (linked) and state. */
function compensation(c) {
  if (!c) return el('span', { class: 'muted' }, '—');
  return [c.kind + ' ', c.jobId ? [el('a', { href: '#/jobs/' + c.jobId }, 'job ' + c.jobId), ' ', badge(c.state.toLowerCase())]
    : el('span', { class: 'muted' }, 'not due')];
}

/** The job page's line for a job of a workflow or a batch (api/jobs/:id/groups), or null. */
function jobGroupsLine(groups) {
  if (!groups.workflowId && !groups.batchId) return null;
  return [el('dt', {}, 'belongs to'), el('dd', { 'data-groups': '' },
    groups.workflowId ? el('a', { href: '#/workflows/' + groups.workflowId, 'data-workflow-link': groups.workflowId },
      'workflow ' + groups.workflowId + ', step ' + groups.stepName) : null,
    groups.workflowId && groups.batchId ? ' · ' : null,
    groups.batchId ? el('span', { 'data-batch-of-job': groups.batchId }, 'batch ' + groups.batchId) : null)];
}

// ---- batches ------------------------------------------------------------------------------------------------

async function batchesPage(params) {
  const query = listQuery(params);
  const [page, filterError] = await listOrError('batches?' + query, { batches: [], nextBefore: '' });
  const older = new URLSearchParams(query);
  older.set('before', page.nextBefore);
  const callback = (name, c) => c ? el('div', { 'data-callback': name }, name + ': ' + c.kind + ' ',
    c.jobId ? el('a', { href: '#/jobs/' + c.jobId }, 'job ' + c.jobId) : el('span', { class: 'muted' }, 'not fired')) : null;
  return el('div', {},
    el('h1', {}, 'Batches'),
    groupFilters('#/batches', params, BATCH_STATES, null, filterError),
    table(['Id#', 'Name', 'State', 'Jobs#', 'Completed#', 'Discarded#', 'Cancelled#', 'Callbacks', 'Created'],
      page.batches.map(b => el('tr', { 'data-batch': b.id },
        el('td', { class: 'num' }, b.id), el('td', {}, b.name), el('td', {}, badge(b.state.toLowerCase())),
        el('td', { class: 'num' }, b.total.toLocaleString()), el('td', { class: 'num' }, b.completed.toLocaleString()),
        el('td', { class: 'num' }, b.discarded.toLocaleString()), el('td', { class: 'num' }, b.cancelled.toLocaleString()),
        el('td', {}, b.onSuccess || b.onDiscard || b.onComplete ? [callback('on success', b.onSuccess),
          callback('on discard', b.onDiscard), callback('on complete', b.onComplete)] : el('span', { class: 'muted' }, '—')),
        el('td', {}, when(b.createdAt)))),
      filterError ? 'Fix the filter to see batches.' : 'No batches match.'),
    el('div', { class: 'bar' }, page.nextBefore ? el('a', { href: '#/batches?' + older, 'data-next': '' }, 'Older »')
      : el('span', { class: 'muted', 'data-end': '' }, 'No more batches.')));
}
