// app.js - the queuectl dashboard: a page per hash route (#/, #/jobs, #/job/ID, #/dlq),
// kept live by the server's event stream (/api/v1/events), never by polling.
//
// Every job field (ids, commands, errors, output) reaches the page through textContent or
// an attribute, never as HTML: el() below is the only way this script builds elements.
'use strict';

const STATES = ['pending', 'processing', 'completed', 'failed', 'dead'];

// A token given as #token=... (for a server that requires one) is kept for this tab only.
(function takeToken() {
  const m = location.hash.match(/[#&]token=([^&]+)/);
  if (m) {
    sessionStorage.setItem('queuectl-token', decodeURIComponent(m[1]));
    location.hash = '#/';
  }
})();

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const token = sessionStorage.getItem('queuectl-token');
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

// el('td', {class: 'cmd'}, 'text', child...): strings become text nodes, never markup.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(method, path, body) {
  const opts = { method, headers: headers(body ? { 'Content-Type': 'application/json' } : {}) };
  if (body !== undefined) opts.body = JSON.stringify(body);
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
  if (!r.ok) throw new Error(data && data.error ? data.error.message : r.status + ' ' + r.statusText);
  return data;
}

function say(text) {
  const m = document.getElementById('message');
  m.textContent = text;
  m.hidden = !text;
  if (text) setTimeout(() => { if (m.textContent === text) m.hidden = true; }, 6000);
}

// Server-Sent Events read with fetch, so that the token can go in a header.  Calls
// on[event](data) for each event; reconnects after a pause when the stream ends.
function stream(path, on) {
  let stopped = false, ctrl = null;
  async function run() {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const r = await fetch(path, { headers: headers(), signal: ctrl.signal });
        if (!r.ok) throw new Error(r.status);
        if (on.open) on.open();
        const reader = r.body.getReader(), dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let name = 'message', data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data && on[name]) on[name](JSON.parse(data));
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      if (on.close) on.close();
      await new Promise((res) => setTimeout(res, 2000));
    }
  }
  run();
  return () => { stopped = true; if (ctrl) ctrl.abort(); };
}

function ago(iso, now) {
  if (!iso) return '-';
  const s = Math.max(0, Math.round(((now ? Date.parse(now) : Date.now()) - Date.parse(iso)) / 1000));
  return duration(s) + ' ago';
}

function duration(s) {
  if (s === null || s === undefined) return '-';
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + (s % 60 ? (s % 60) + 's' : '');
  if (s < 86400) return Math.floor(s / 3600) + 'h' + (Math.floor(s / 60) % 60 ? Math.floor(s / 60) % 60 + 'm' : '');
  return Math.floor(s / 86400) + 'd' + (Math.floor(s / 3600) % 24 ? Math.floor(s / 3600) % 24 + 'h' : '');
}

function time(iso) { return iso ? iso.replace('T', ' ').replace('Z', '') : '-'; }

function stateCell(state) { return el('td', { class: 'state-' + state }, state); }

// --- The live status, shared by every page ---------------------------------------------
let status = null;
const listeners = new Set();
stream('/api/v1/events', {
  open() { const l = document.getElementById('live'); l.textContent = 'live'; l.className = 'live on'; },
  close() { const l = document.getElementById('live'); l.textContent = 'reconnecting'; l.className = 'live'; },
  status(s) { status = s; status.received = new Date().toISOString(); for (const f of listeners) f(s); },
});

// --- Overview ------------------------------------------------------------------------------
function chart(s) {
  const W = 600, H = 120, n = 60;
  const max = Math.max(1, ...s.completed_per_minute.map((c, i) => c + s.failed_per_minute[i]));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'completed and failed attempts per minute, last hour');
  const bw = W / n;
  for (let i = 0; i < n; i++) {
    const c = s.completed_per_minute[i], f = s.failed_per_minute[i];
    const hc = (c / max) * H, hf = (f / max) * H;
    for (const [cls, h, y, v] of [['completed', hc, H - hc, c], ['failed', hf, H - hc - hf, f]]) {
      if (!v) continue;
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('class', cls);
      r.setAttribute('x', (i * bw + 1).toFixed(1));
      r.setAttribute('width', (bw - 2).toFixed(1));
      r.setAttribute('y', y.toFixed(1));
      r.setAttribute('height', Math.max(1, h).toFixed(1));
      const t = document.createElementNS(ns, 'title');
      t.textContent = `${v} ${cls}, ${59 - i} min ago`;
      r.append(t);
      svg.append(r);
    }
  }
  return svg;
}

function overview(view) {
  function draw(s) {
    const total = s.counts.total;
    view.replaceChildren(
      el('h1', {}, 'Overview'),
      el('div', { class: 'cards', id: 'counts' },
        STATES.map((st) => el('a', { class: 'card', href: '#/jobs?state=' + st, 'data-state': st },
          el('div', { class: 'n state-' + st }, s.counts[st]), el('div', { class: 'k' }, st))),
        el('div', { class: 'card' }, el('div', { class: 'n' }, total), el('div', { class: 'k' }, 'total'))),
      el('h2', {}, 'Attempts per minute, last hour'),
      el('p', { class: 'legend' }, el('span', { class: 'c' }, '■ completed'), ' ',
        el('span', { class: 'f' }, '■ failed'), ' · ',
        s.completed_per_minute.reduce((a, b) => a + b, 0) + ' completed, ' +
        s.failed_per_minute.reduce((a, b) => a + b, 0) + ' failed'),
      chart(s),
      el('div', { class: 'axis' }, el('span', {}, '60 min ago'),
        el('span', {}, 'max ' + Math.max(1, ...s.completed_per_minute.map((c, i) => c + s.failed_per_minute[i])) + '/min'),
        el('span', {}, 'now')),
      el('h2', {}, 'Queues'),
      s.queues.length ? el('div', { class: 'scroll' }, el('table', { id: 'queues' },
        el('thead', {}, el('tr', {}, el('th', {}, 'queue'), STATES.map((st) => el('th', {}, st)),
          el('th', {}, 'oldest due'))),
        el('tbody', {}, s.queues.map((q) => el('tr', {},
          el('td', {}, el('a', { href: '#/jobs?queue=' + encodeURIComponent(q.queue) }, q.queue)),
          STATES.map((st) => el('td', {}, q.counts[st])),
          el('td', {}, q.oldest_due_seconds === null ? '-' : duration(q.oldest_due_seconds))))))) :
        el('p', { class: 'muted' }, 'No jobs yet.'),
      el('h2', {}, 'Workers'),
      s.workers.length ? el('div', { class: 'scroll' }, el('table', { id: 'workers' },
        el('thead', {}, el('tr', {}, ['host', 'machine', 'pid', 'busy', 'queues', 'heartbeat', 'started']
          .map((h) => el('th', { class: h === 'machine' || h === 'started' ? 'hide-narrow' : null }, h)))),
        el('tbody', {}, s.workers.map((w) => el('tr', {},
          el('td', {}, w.host), el('td', { class: 'hide-narrow', title: w.machine || '' }, w.machine ? w.machine.slice(0, 12) + '…' : '-'), el('td', {}, w.pid),
          el('td', {}, w.busy + ' / ' + w.slots), el('td', {}, w.queues || 'all'),
          el('td', {}, ago(w.heartbeat_at, s.received)), el('td', { class: 'hide-narrow' }, time(w.started_at)))))))
        : el('p', { class: 'muted' }, 'No worker is running.'));
  }
  if (status) draw(status); else view.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  listeners.add(draw);
  return () => listeners.delete(draw);
}

// --- Jobs, and the dead letter queue ---------------------------------------------------------
function params() {
  const q = location.hash.split('?')[1] || '';
  return new URLSearchParams(q);
}

function jobsPage(view, dlq) {
  const p = params();
  const filter = { state: dlq ? 'dead' : (p.get('state') || ''), queue: p.get('queue') || '',
    id: p.get('id') || '', command: p.get('command') || '' };
  const selected = new Set();
  let cursor = null, rows = [];
  const tbody = el('tbody', {});
  const more = el('button', { type: 'button', hidden: true, onclick: () => load(false) }, 'More');
  const count = el('p', { class: 'muted', id: 'shown' });

  function query(after) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    q.set('limit', '50');
    if (after) q.set('cursor', after);
    return '/api/v1/jobs?' + q.toString();
  }
  async function load(fresh) {
    try {
      const page = await api('GET', query(fresh ? null : cursor));
      if (fresh) { rows = []; tbody.replaceChildren(); }
      for (const j of page.jobs) { rows.push(j); tbody.append(row(j)); }
      cursor = page.next_cursor;
      more.hidden = !cursor;
      count.textContent = rows.length + (cursor ? '+' : '') + ' job' + (rows.length === 1 ? '' : 's');
    } catch (e) { say(e.message); }
  }
  function row(j) {
    const cells = [
      el('td', {}, el('a', { href: '#/job/' + encodeURIComponent(j.id), class: 'job-id' }, j.id.length > 12 ? j.id.slice(0, 12) + '…' : j.id)),
      dlq ? null : stateCell(j.state),
      el('td', {}, j.queue),
      el('td', { class: 'hide-narrow' }, j.attempts),
      el('td', { class: 'hide-narrow' }, time(j.updated_at)),
      dlq ? el('td', { class: 'cmd' }, j.last_error || '-') : null,
      el('td', { class: 'cmd' }, j.command),
    ];
    if (dlq) {
      const box = el('input', { type: 'checkbox', 'aria-label': 'select ' + j.id,
        onchange: (e) => { if (e.target.checked) selected.add(j.id); else selected.delete(j.id); } });
      cells.unshift(el('td', {}, box));
    }
    return el('tr', { 'data-id': j.id }, cells);
  }
  function apply(e) {
    e.preventDefault();
    const f = new FormData(e.target), q = new URLSearchParams();
    for (const k of ['state', 'queue', 'id', 'command']) if (f.get(k)) q.set(k, f.get(k));
    location.hash = (dlq ? '#/dlq' : '#/jobs') + (q.toString() ? '?' + q.toString() : '');
  }
  async function act(verb, ids) {
    const body = ids ? { ids } : { filter: Object.fromEntries(Object.entries(filter).filter(([, v]) => v)) };
    if (!ids && verb === 'delete' && !confirm('Delete every dead job that matches?')) return;
    try {
      const r = await api('POST', '/api/v1/jobs/' + verb, body);
      say(`${verb === 'retry' ? 'Retried' : 'Deleted'} ${r[verb === 'retry' ? 'retried' : 'deleted']} job(s)`);
      selected.clear();
      load(true);
    } catch (e) { say(e.message); }
  }
  const queues = status ? status.queues.map((q) => q.queue) : [];
  if (filter.queue && !queues.includes(filter.queue)) queues.push(filter.queue);
  view.replaceChildren(
    el('h1', {}, dlq ? 'Dead letter queue' : 'Jobs'),
    el('form', { class: 'filters', onsubmit: apply },
      dlq ? null : el('label', {}, 'state', el('select', { name: 'state' }, el('option', { value: '' }, 'any'),
        STATES.map((s) => el('option', { value: s, selected: s === filter.state }, s)))),
      el('label', {}, 'queue', el('select', { name: 'queue' }, el('option', { value: '' }, 'any'),
        queues.map((q) => el('option', { value: q, selected: q === filter.queue }, q)))),
      el('label', {}, 'id prefix', el('input', { name: 'id', value: filter.id, size: 10, autocomplete: 'off' })),
      el('label', {}, 'command contains', el('input', { name: 'command', value: filter.command, type: 'search' })),
      el('button', { type: 'submit', class: 'primary' }, 'Filter')),
    dlq ? el('div', { class: 'actions' },
      el('button', { type: 'button', onclick: () => selected.size && act('retry', [...selected]) }, 'Retry selected'),
      el('button', { type: 'button', class: 'danger', onclick: () => selected.size && act('delete', [...selected]) }, 'Delete selected'),
      el('button', { type: 'button', onclick: () => act('retry', null) }, 'Retry all matching'),
      el('button', { type: 'button', class: 'danger', onclick: () => act('delete', null) }, 'Delete all matching')) : null,
    el('div', { class: 'scroll' }, el('table', { id: 'jobs' },
      el('thead', {}, el('tr', {}, dlq ? el('th', {}, '') : null, el('th', {}, 'id'), dlq ? null : el('th', {}, 'state'),
        el('th', {}, 'queue'), el('th', { class: 'hide-narrow' }, 'attempts'), el('th', { class: 'hide-narrow' }, 'updated'),
        dlq ? el('th', {}, 'last error') : null, el('th', {}, 'command'))),
      tbody)),
    count, more);
  load(true);
  // A change in the counts means jobs moved: the first page is read again (not later
  // pages, which a person is reading), at most once a second.
  let last = status ? JSON.stringify(status.counts) : '', timer = null;
  function changed(s) {
    const now = JSON.stringify(s.counts);
    if (now === last || timer) return;
    last = now;
    timer = setTimeout(() => { timer = null; if (rows.length <= 50) load(true); }, 1000);
  }
  listeners.add(changed);
  return () => { listeners.delete(changed); clearTimeout(timer); };
}

// --- One job -------------------------------------------------------------------------------
function jobPage(view, id) {
  const fields = el('dl', { class: 'fields', id: 'fields' });
  const actions = el('div', { class: 'actions' });
  const attempts = el('tbody', {});
  const output = el('pre', { class: 'output', id: 'output' });
  const runLabel = el('span', { class: 'muted', id: 'run' });
  let run = null;
  view.replaceChildren(el('h1', {}, 'Job ', el('span', { id: 'job-id' }, id)), fields, actions,
    el('h2', {}, 'Attempts'),
    el('div', { class: 'scroll' }, el('table', { id: 'attempts' },
      el('thead', {}, el('tr', {}, ['run', 'attempt', 'started', 'took', 'outcome', 'exit', 'error']
        .map((h) => el('th', {}, h)))), attempts)),
    el('h2', {}, 'Output ', runLabel), output);

  async function history() {
    try {
      const j = await api('GET', '/api/v1/jobs/' + encodeURIComponent(id));
      attempts.replaceChildren(...j.history.map((a) => el('tr', {},
        el('td', {}, a.run), el('td', {}, a.attempt), el('td', {}, time(a.started_at)),
        el('td', {}, ((Date.parse(a.finished_at) - Date.parse(a.started_at)) / 1000).toFixed(3) + 's'),
        stateCell(a.outcome), el('td', {}, a.exit_code === null ? '-' : a.exit_code),
        el('td', { class: 'cmd' }, a.error || ''))));
      if (!j.history.length) attempts.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No attempt yet.')));
    } catch (e) { say(e.message); }
  }
  function show(j) {
    const rowsOf = [['state', j.state], ['command', j.command], ['queue', j.queue], ['priority', j.priority],
      ['attempts', j.attempts + ' of ' + (j.max_retries + 1)], ['run at', time(j.run_at)],
      ['created', time(j.created_at)], ['updated', time(j.updated_at)], ['started', time(j.started_at)],
      ['finished', time(j.finished_at)], ['exit code', j.exit_code === null ? '-' : j.exit_code],
      ['last error', j.last_error || '-'], ['worker', j.worker || '-']];
    fields.replaceChildren(...rowsOf.flatMap(([k, v]) => [el('dt', {}, k),
      el('dd', { class: k === 'state' ? 'state-' + v : null, 'data-field': k }, v)]));
    actions.replaceChildren(...[
      j.state === 'dead' ? el('button', { type: 'button', class: 'primary', id: 'retry', onclick: async () => {
        try { await api('POST', '/api/v1/jobs/' + encodeURIComponent(id) + '/retry'); say('Sent back to pending'); } catch (e) { say(e.message); }
      } }, 'Retry') : null,
      j.state !== 'processing' ? el('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm('Delete this job and its history?')) return;
        try { await api('DELETE', '/api/v1/jobs/' + encodeURIComponent(id)); location.hash = '#/jobs'; } catch (e) { say(e.message); }
      } }, 'Delete') : null].filter(Boolean));
    history();
  }
  const stop = stream('/api/v1/events?job=' + encodeURIComponent(id), {
    job: show,
    output(o) {
      if (o.run !== run) { run = o.run; output.textContent = ''; runLabel.textContent = '(run ' + run + ')'; }
      output.append(document.createTextNode(o.text));
      output.scrollTop = output.scrollHeight;
    },
    gone(g) { say(g.message); },
  });
  return stop;
}

// --- Routing -------------------------------------------------------------------------------
let leave = null;
function route() {
  if (leave) leave();
  const view = document.getElementById('view');
  const h = location.hash || '#/';
  const path = h.slice(1).split('?')[0];
  let page = 'overview';
  if (path.startsWith('/job/')) { page = 'jobs'; leave = jobPage(view, decodeURIComponent(path.slice(5))); }
  else if (path === '/jobs') { page = 'jobs'; leave = jobsPage(view, false); }
  else if (path === '/dlq') { page = 'dlq'; leave = jobsPage(view, true); }
  else leave = overview(view);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.nav === page);
}
window.addEventListener('hashchange', route);
route();
