// pgjobs dashboard: flow control (#/flow) and its parts of the queues, nodes and job pages: cluster-wide limits,
// rate limits, ordered keys held back by one job, and circuit breakers with their controls. Loaded after app.js,
// whose helpers it uses (el, api, table, badge, when, duration, actionButton, flash, render), under the same
// safety rule: every value from the server goes into the page as text, through el().
'use strict';

const FLOW_DOC = 'docs/flow-control.md';

pages.flow = flowPage;

/** A queue's flow control in a few words: "3 in all · 1 per args.customer · 100 per 1.0 min · ordered". */
function flowSummary(flow) {
  if (!flow) return null;
  const key = k => !k ? '' : k.source ? k.source + '.' + k.path.join('.') : 'partition key';
  const parts = [];
  if (flow.queueLimit !== null) parts.push(flow.queueLimit + ' in all');
  if (flow.partitionLimit !== null) parts.push(flow.partitionLimit + ' per ' + key(flow.partitionKey));
  if (flow.rateLimit) {
    const r = flow.rateLimit;
    parts.push(r.count + ' per ' + duration(isoDurationMs(r.period)) + (r.burst > 1 ? ' (burst ' + r.burst + ')' : '')
      + (r.partitionKey ? ' per ' + key(r.partitionKey) : ''));
  }
  if (flow.orderedKeys) parts.push('ordered, ' + (flow.orderedKeys === 'BLOCK_WHEN_DISCARDED' ? 'discarded jobs block' : 'discarded jobs move on'));
  return parts.join(' · ');
}

/** The queues page's Limit cell: the cluster-wide flow control, linked to the flow page, or "—". */
function flowLimitCell(q) {
  return el('td', { 'data-limit': q.name, title: 'cluster-wide flow control (none: each node\'s own concurrency only)' },
    q.flow ? el('a', { href: '#/flow?queue=' + encodeURIComponent(q.name) }, flowSummary(q.flow)) : el('span', { class: 'muted' }, '—'));
}

/** A job page's keys: the partition and ordering keys its request gave. */
function jobKeys(job) {
  return [['partition key', job.partitionKey || '—'], ['ordering key', job.orderingKey || '—']]
    .map(([k, v]) => [el('dt', {}, k), el('dd', { class: 'mono', 'data-key-of': k }, v)]);
}

/** On a discarded job that holds its ordering key: skip it, so that the next job of the key runs. */
function skipButton(job, done) {
  if (job.state !== 'discarded' || !job.orderingKey) return null;
  return actionButton('Skip on its key', async () => {
    if (!confirm('Mark job ' + job.id + ' cancelled so that the next job of ordering key "' + job.orderingKey
      + '" runs? The job keeps its attempts and error.')) return;
    const result = await api('jobs/' + job.id + '/skip', { method: 'POST' });
    flash(result.changed ? 'Job ' + job.id + ' skipped: its key goes on' : 'Job ' + job.id + ' no longer holds its key', !result.changed);
    done();
  });
}

async function flowPage(params) {
  const [flow, all] = await Promise.all([api('flow'), api('queues')]);
  const only = params.get('queue');
  // a queue under shares needs all its running jobs (api/queues), which its flow state does not count (see inUse)
  const running = new Map(all.map(q => [q.name, q.running]));
  const queues = (only ? flow.queues.filter(q => q.queue === only) : flow.queues)
    .map(q => Object.assign({ allRunning: running.get(q.queue) ?? q.running }, q));
  return el('div', {},
    el('h1', {}, 'Flow control', el('span', { class: 'muted' }, 'limits, rates and ordered keys per queue; circuit breakers per kind and per partition')),
    only ? el('div', { class: 'bar' }, 'Queue ', el('strong', {}, only), ' · ', el('a', { href: '#/flow' }, 'all queues')) : null,
    queues.length ? queues.map(flowPanel) : el('div', { class: 'empty', 'data-empty': 'flow' },
      only ? 'No live node works queue ' + only + ' with flow control.' : [
        'No live node works a queue with flow control. Cluster-wide limits, partition limits, rate limits and ordered keys are set on the ',
        'nodes\' Scheduler builder (queueLimit, partitionLimit, rateLimit, orderedKeys); each node registers them, and they show here. See ',
        el('code', {}, FLOW_DOC), '.']),
    el('h2', {}, 'Circuit breakers'),
    circuitTable(flow.circuits.concat((flow.partitionCircuits || []).map(c => Object.assign({ perPartition: true }, c)))),
    openPartitionForm());
}

/**
 * Opens one partition's circuit of a kind with circuits per partition, which has no circuit of its own to open (the
 * server refuses that): the table lists only partitions whose circuit is not closed, so a closed one is named here.
 */
function openPartitionForm() {
  const kind = el('input', { name: 'partition-circuit-kind', placeholder: 'kind', 'aria-label': 'kind of the partition circuit to open' });
  const partition = el('input', { name: 'partition-circuit-partition', placeholder: 'partition (empty: jobs without a key)', 'aria-label': 'partition to open' });
  const minutes = el('input', { type: 'number', min: 1, max: 1440, value: 5, class: 'minutes', 'aria-label': 'cool-down minutes of the partition' });
  return el('div', { class: 'bar', 'data-open-partition-circuit': '' },
    'Kinds with a circuit per partition: open one partition\'s circuit ', kind, ' ', partition, ' for ', minutes, ' min ',
    actionButton('Open', async () => {
      const name = kind.value.trim() + ' partition "' + partition.value + '"';
      if (!confirm('Open the circuit of ' + name + '? No node claims that partition\'s jobs until the cool-down ends; then one probe runs.')) return;
      await api('partition-circuits/' + encodeURIComponent(kind.value.trim()) + '/open', { method: 'POST',
        body: { partition: partition.value, coolDownSeconds: Math.round(Number(minutes.value) * 60) } });
      flash('Circuit of ' + name + ' opened');
      render();
    }, 'danger'));
}

// What the claims read as the queue's running jobs (V39's kept counts) beside what the jobs table says: the two
// differ only for a moment while jobs start and end, or if something bypassed the counts' triggers.
function countedRunning(q) {
  const differs = q.countedRunning !== q.running;
  return el('span', { class: differs ? 'counted warn' : 'counted muted', 'data-counted-running': q.queue,
    title: 'the running jobs as the claims count them (kept counts, flow_running); they differ from the jobs '
      + 'only for a moment while jobs start and end, or if something bypassed the counts\' triggers (docs/flow-control.md)' },
    ' · the claims count ' + q.countedRunning + (differs ? ' (the jobs say ' + q.running + ')' : ''));
}

// A queue run under the nodes' shares of its limit: the claims count none of its jobs (so the kept counts say 0),
// and its running jobs include those claimed ahead into the nodes' buffers, which hold no slot: what bounds the
// jobs executing is the shares' slots.
function sharesHeld(q, limit) {
  return el('span', { class: 'counted muted', 'data-shares-held': q.queue,
    title: 'the nodes run this queue under leased shares of its limit; its running jobs include those claimed ahead '
      + 'into a node\'s buffer, which execute only within their node\'s share (docs/flow-control.md)' },
    ' · the nodes\' shares hold ' + heldSlots(q) + ' of ' + limit + ' slots',
    q.allRunning > inUse(q) ? ', ' + q.allRunning + ' running with those claimed ahead' : '');
}

function heldSlots(q) {
  return q.shares.reduce((sum, share) => sum + share.slots, 0);
}

// The jobs in use under the queue limit, as the meter shows them. The flow state's running jobs are those the
// flow claims counted (a node of the release before shares); under shares the others execute only within the
// shares' slots, and are at most the queue's other running jobs (which include those claimed ahead, holding no
// slot): the least of the two, so the meter never reads more in use than may execute, nor above the limit.
function inUse(q) {
  return q.shares.length ? q.running + Math.max(0, Math.min(heldSlots(q), q.allRunning - q.running)) : q.running;
}

function flowPanel(q) {
  const s = q.settings;
  return el('div', { class: 'panel flow', 'data-flow-queue': q.queue },
    el('div', { class: 'title' }, el('a', { href: '#/jobs?queue=' + encodeURIComponent(q.queue) }, q.queue),
      ' ', el('span', { class: 'muted' }, flowSummary(s))),
    q.disagreeingNodes.length ? el('div', { class: 'panel warn', 'data-disagree': q.queue },
      'Nodes ', q.disagreeingNodes.join(', '), ' configure this queue differently: each node claims with its own settings, ',
      'so the limits hold only if every node has the same. Shown: those of ', q.nodes[0], '.') : null,
    el('dl', { class: 'kv' },
      el('dt', {}, 'nodes'), el('dd', { class: 'mono' }, q.nodes.join(', ') + ' · ' + q.concurrency + ' at once in all'),
      el('dt', {}, 'running'), el('dd', { 'data-running': q.queue },
        s.queueLimit !== null ? [el('meter', { min: 0, max: s.queueLimit, value: inUse(q) }), ' ' + inUse(q) + ' of ' + s.queueLimit]
          : q.running + ' under flow control',
        q.shares.length ? sharesHeld(q, s.queueLimit) : countedRunning(q))),
    q.shares.length ? [
      el('h3', {}, 'Shares of the limit', el('span', { class: 'muted' }, 'how many of its jobs each node may run at once')),
      table(['Node', 'Slots#', 'Wanted#', 'Until'], q.shares.map(share => el('tr', { 'data-share': share.nodeId },
        el('td', { class: 'mono' }, share.nodeId),
        el('td', { class: 'num' }, share.slots),
        el('td', { class: 'num' }, share.wanted),
        el('td', {}, when(share.expiresAt)))), '')] : null,
    s.partitionLimit !== null || q.busiestPartitions.length ? [
      el('h3', {}, 'Busiest partitions'),
      table(['Partition', 'Running#'], q.busiestPartitions.map(p => el('tr', {},
        el('td', { class: 'mono' }, p.partition === '' ? el('span', { class: 'muted' }, '(no key)') : p.partition),
        el('td', { class: 'num' }, p.running + (s.partitionLimit !== null ? ' of ' + s.partitionLimit : '')))),
        'No job of this queue is running.')] : null,
    s.rateLimit ? [
      el('h3', {}, 'Rate limit'),
      table(['Partition', 'Next start', 'Wait#'], q.rates.map(r => el('tr', { 'data-rate': r.partition },
        el('td', { class: 'mono' }, r.partition === '' ? el('span', { class: 'muted' }, s.rateLimit.partitionKey ? '(no key)' : '(the queue)') : r.partition),
        el('td', {}, isoDurationMs(r.delay) === 0 ? 'now' : when(r.nextStartAt)),
        el('td', { class: 'num' }, duration(isoDurationMs(r.delay))))),
        'No job has started under the rate limit yet.')] : null,
    s.orderedKeys ? [
      el('h3', {}, 'Keys held back', el('span', { class: 'muted' }, 'the job first in line, and why it does not run')),
      table(['Ordering key', 'Held by', 'Why', 'Waiting#', ''], q.blockedKeys.map(k => el('tr', { 'data-blocked-key': k.orderingKey },
        el('td', { class: 'mono' }, k.orderingKey),
        el('td', {}, el('a', { href: '#/jobs/' + k.holderJobId }, '#' + k.holderJobId), ' ', el('span', { class: 'mono' }, k.holderKind)),
        el('td', {}, badge(k.holderState.toLowerCase()), ' ', blockReason(k)),
        el('td', { class: 'num' }, k.waiting),
        el('td', {}, k.reason === 'discarded' ? el('div', { class: 'actions' },
          skipButton({ id: k.holderJobId, state: 'discarded', orderingKey: k.orderingKey }, () => render()),
          actionButton('Retry', async () => {
            const result = await api('jobs/' + k.holderJobId + '/retry', { method: 'POST' });
            flash(result.changed ? 'Job ' + k.holderJobId + ' retried: it runs first of its key' : 'Job ' + k.holderJobId + ' is no longer discarded', !result.changed);
            render();
          })) : null))),
        'No key is held back: every key\'s first job can run.')] : null);
}

function blockReason(k) {
  switch (k.reason) {
    case 'running': return 'running';
    case 'retrying': return ['waits to retry ', when(k.holderRunAt)];
    case 'scheduled': return ['snoozed or scheduled ', when(k.holderRunAt)];
    default: return 'discarded: blocks its key until retried, skipped or deleted';
  }
}

/**
 * The circuits: each kind's, then the partitions' circuits that are not closed (breakers per partition; a partition
 * column then shows), and their controls.
 */
function circuitTable(circuits) {
  const partitioned = circuits.some(c => c.perPartition);
  const name = c => c.perPartition ? c.kind + ' partition "' + c.partition + '"' : c.kind;
  const control = (c, action, question, bodyOf) => actionButton(action[0].toUpperCase() + action.slice(1), async () => {
    if (!confirm(question)) return;
    const body = Object.assign(c.perPartition ? { partition: c.partition } : {}, bodyOf ? bodyOf() : {});
    await api((c.perPartition ? 'partition-circuits/' : 'circuits/') + encodeURIComponent(c.kind) + '/' + action,
      { method: 'POST', body: body });
    flash('Circuit of ' + name(c) + ' ' + { open: 'opened', close: 'closed', reset: 'reset' }[action]);
    render();
  }, action === 'open' ? 'danger' : '');
  return table(['Kind', partitioned ? 'Partition' : null, 'State', 'Failures', 'Opened', 'Cool-down until', 'Probe', 'Reason', '']
    .filter(h => h !== null), circuits.map(c => {
    const minutes = el('input', { type: 'number', min: 1, max: 1440, value: 5, class: 'minutes', 'aria-label': 'cool-down minutes of ' + c.kind });
    const row = c.perPartition ? { 'data-partition-circuit': c.kind + '/' + c.partition } : { 'data-circuit': c.kind };
    return el('tr', row,
      el('td', { class: 'mono' }, c.kind),
      partitioned ? el('td', { class: 'mono' }, c.perPartition ? (c.partition === '' ? '(no key)' : c.partition) : '—') : null,
      el('td', c.perPartition ? {} : { 'data-circuit-state': c.kind }, badge(c.state)),
      el('td', {}, c.consecutiveFailures + ' in a row · window ' + c.windowFailures + ' failed of ' + (c.windowFailures + c.windowSuccesses)),
      el('td', {}, when(c.openedAt)),
      el('td', {}, c.state === 'closed' ? el('span', { class: 'muted' }, '—') : when(c.retryAt)),
      el('td', {}, c.probeJobId ? el('a', { href: '#/jobs/' + c.probeJobId }, '#' + c.probeJobId) : el('span', { class: 'muted' }, '—')),
      el('td', {}, c.reason || ''),
      el('td', {}, el('div', { class: 'actions' },
        c.state === 'closed' ? [minutes, control(c, 'open', 'Open the circuit of ' + name(c) + '? No node claims its jobs until the cool-down ends; then one probe runs.',
          () => ({ coolDownSeconds: Math.round(Number(minutes.value) * 60) }))]
          : control(c, 'close', 'Close the circuit of ' + name(c) + '? Its jobs are claimed again at once.'),
        control(c, 'reset', 'Reset the circuit of ' + name(c) + '? It is closed and its counts are forgotten.'))));
  }), ['No circuit has recorded anything yet. A circuit breaker per kind (Scheduler builder: circuitBreaker) stops every node ',
    'claiming a kind\'s jobs after repeated failures, for a cool-down, then lets one probe job decide; with perPartition, ',
    'each partition of the kind has its own, and its open circuits show here. See ',
    el('code', {}, FLOW_DOC), ', "Circuit breakers".']);
}
