// pgjobs dashboard: recent events (#/events, api/events), loaded after app.js, whose helpers (el, api, table, when)
// it uses, under the same safety rule: every value from the server goes into the page as text, through el().
// pgjobs' listener events live only in the process that raised them; this page shows what the database keeps of
// the ones an operator looks for (docs/dashboard.md, "Recent events").
'use strict';

pages.events = eventsPage;

async function eventsPage() {
  const answer = await api('events');
  return el('div', {},
    el('h1', {}, 'Recent events', el('span', { class: 'muted' }, 'what the database keeps of the last day: discards, circuits holding jobs, nodes')),
    table(['When', 'Event', 'Of', 'Detail', 'Job'], answer.events.map(e => el('tr', { 'data-event': e.type },
      el('td', {}, when(e.at)),
      el('td', {}, e.type),
      el('td', { class: 'mono' }, e.subject),
      // a discard's detail is its error, cut to the cell (the whole of it in the tooltip and on the job's page)
      el('td', e.jobId && e.detail ? { class: 'err', title: e.detail } : {}, e.detail || ''),
      el('td', {}, e.jobId ? el('a', { href: '#/jobs/' + e.jobId }, '#' + e.jobId) : el('span', { class: 'muted' }, '—')))),
      'Nothing in the last day: no job was discarded, no circuit holds jobs, no node started, stopped or took the lead.'),
    el('p', { class: 'muted' }, 'Listener events (JobFailed, JobRetried, ScheduleFired, ...) are not stored: a listener of ',
      'your own receives them (docs/observability.md). Operators\' actions are in the ', el('a', { href: '#/audit' }, 'audit log'), '.'));
}
