// The console. Everything the API gives is inserted as text, never as HTML: captions are redacted, but
// they are still someone's words. Nothing but a call id (never text, never a key) goes into an address.
'use strict';

const $ = id => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';
const speakers = { INTERNAL: 'Agent', EXTERNAL: 'Customer', BOTH: 'Both' };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

// Any [UPPERCASE_TYPE] placeholder becomes a labelled chip, whatever the type; other text stays text.
const placeholder = /\[([A-Z][A-Z0-9_]*)\]/g;
function withChips(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(placeholder)) {
    if (m.index > last) frag.append(text.slice(last, m.index));
    const chip = el('span', 'chip', m[1].replace(/_/g, ' '));
    chip.dataset.type = m[1];
    chip.setAttribute('role', 'img');
    chip.setAttribute('aria-label', 'redacted ' + m[1].toLowerCase().replace(/_/g, ' '));
    frag.append(chip);
    last = m.index + m[0].length;
  }
  if (last < text.length) frag.append(text.slice(last));
  return frag;
}

function redactionChips(byType) {
  const frag = document.createDocumentFragment();
  const keys = Object.keys(byType || {}).filter(k => byType[k] > 0).sort();
  if (!keys.length) frag.append(el('span', 'count', '–'));
  for (const k of keys) {
    const chip = el('span', 'chip', `${k.replace(/_/g, ' ')} ${byType[k]}`);
    chip.dataset.type = k;
    frag.append(chip);
  }
  return frag;
}

const pad = n => String(n).padStart(2, '0');
function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  return (h ? h + ':' + pad(Math.floor(s / 60) % 60) : Math.floor(s / 60)) + ':' + pad(s % 60);
}
const ms = v => v == null ? '–' : Math.round(v) + ' ms';
const timeOf = iso => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const short = id => id.length > 14 ? id.slice(0, 8) + '…' + id.slice(-4) : id;
const duration = c => clock((c.endedAt ? Date.parse(c.endedAt) : Date.now()) - Date.parse(c.startedAt));

async function getJson(url, method = 'GET') {
  const res = await fetch(url, { method, headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error((body && (body.error || body.detail || body.title)) || `${res.status} ${res.statusText}`);
  return body;
}

// ---------------------------------------------------------------- roles and views
let role = 'viewer';
const views = ['calls', 'call', 'metrics', 'integrity', 'access'];

function applyRole() {
  // a viewer never gets the auditor's parts: they are removed, not hidden (and the server refuses them anyway)
  if (role !== 'auditor') document.querySelectorAll('[data-auditor]').forEach(n => n.remove());
}

function route() {
  const [, view = 'calls', ...rest] = location.hash.split('/');
  const name = views.includes(view) && (role === 'auditor' || (view !== 'integrity' && view !== 'access')) ? view : 'calls';
  for (const v of views) $('view-' + v).hidden = v !== name;
  const tab = name === 'call' ? 'calls' : name;
  document.querySelectorAll('nav a').forEach(a => { if (a.dataset.view === tab) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current'); });
  if (name === 'call') openCall(decodeURIComponent(rest.join('/')));
  else current = null;
  if (name === 'calls') { loadCalls(); requestAnimationFrame(renderRows); }
  if (name === 'metrics') loadMetrics();
  if (name === 'integrity') loadIntegrity();
  if (name === 'access') loadAccess();
}

// ---------------------------------------------------------------- calls: data
let rows = [];                      // the server's answer, in its order
const byId = new Map();             // conversationId -> row
let sort = { key: 'started', desc: true };
let active = 0;                     // index of the keyboard's row

function query() {
  const p = new URLSearchParams();
  const f = new FormData($('filters'));
  for (const [k, v] of f) {
    if (!v) continue;
    // datetime-local is the browser's local time: sent as an instant
    p.set(k, (k === 'from' || k === 'to') ? new Date(v).toISOString() : v);
  }
  p.set('sort', (sort.desc ? '-' : '') + sort.key);
  return p;
}

let loading = null, again = false;
async function loadCalls() {
  if (loading) { again = true; return loading; }
  loading = (async () => {
    try {
      const list = await getJson('/api/console/calls?' + query());
      rows = list;
      byId.clear();
      for (const r of rows) byId.set(r.conversationId, r);
      $('calls-status').textContent = `${rows.length} call${rows.length === 1 ? '' : 's'}` + (rows.length >= 1000 ? ' (the newest 1,000; narrow the filters)' : '');
      $('calls-status').classList.remove('error');
      fillChoices();
      active = Math.min(active, Math.max(0, rows.length - 1));
      layout();
    } catch (e) {
      $('calls-status').textContent = 'Filter refused: ' + e.message;
      $('calls-status').classList.add('error');
    } finally {
      loading = null;
      if (again) { again = false; loadCalls(); }
    }
  })();
  return loading;
}

function fillChoices() {
  const queues = new Set(), agents = new Set();
  for (const r of rows) { if (r.queueId) queues.add(r.queueId); if (r.agentName || r.agentId) agents.add(r.agentName || r.agentId); }
  $('queues').replaceChildren(...[...queues].sort().map(q => { const o = el('option'); o.value = q; return o; }));
  $('agents').replaceChildren(...[...agents].sort().map(a => { const o = el('option'); o.value = a; return o; }));
}

let filterTimer = 0;
$('filters').addEventListener('input', () => { clearTimeout(filterTimer); filterTimer = setTimeout(loadCalls, 250); });
$('filters').addEventListener('submit', e => { e.preventDefault(); loadCalls(); });
$('calls-head').addEventListener('click', e => {
  const b = e.target.closest('button[data-sort]');
  if (!b) return;
  sort = { key: b.dataset.sort, desc: sort.key === b.dataset.sort ? !sort.desc : b.dataset.sort !== 'call' && b.dataset.sort !== 'queue' && b.dataset.sort !== 'agent' };
  showSort();
  loadCalls();
});
function showSort() {
  document.querySelectorAll('#calls-head button').forEach(b => {
    if (b.dataset.sort === sort.key) b.setAttribute('aria-sort', sort.desc ? 'descending' : 'ascending'); else b.removeAttribute('aria-sort');
  });
}

// ---------------------------------------------------------------- calls: the virtualized list
// Only the rows in view (and a few either side) exist in the DOM, each absolutely placed at index × height,
// so 1,000 live calls cost the same to draw as twenty; durations tick on those rows only.
const scroller = $('calls-scroll');
const list = $('calls');
const OVERSCAN = 6;
const rowHeight = () => parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row')) || 44;

function layout() {
  list.style.height = rows.length * rowHeight() + 'px';
  scroller.setAttribute('aria-activedescendant', rows.length ? 'row-' + active : '');
  renderRows();
}

function rowNode(r, i) {
  const li = el('li', 'cols' + (i === active ? ' active' : ''));
  li.id = 'row-' + i;
  li.dataset.call = r.conversationId;
  li.setAttribute('role', 'option');
  li.setAttribute('aria-selected', i === active ? 'true' : 'false');
  li.setAttribute('aria-setsize', rows.length);
  li.setAttribute('aria-posinset', i + 1);
  li.style.top = i * rowHeight() + 'px';
  const cell = (cls, text) => li.appendChild(el('span', cls, text));
  cell('c-call', short(r.conversationId)).title = r.conversationId;
  cell('c-queue', r.queueId || '–');
  cell('c-agent', r.agentName || r.agentId || '–');
  cell('c-start', timeOf(r.startedAt));
  cell('c-dur dur', duration(r));
  cell('c-state state-' + (r.endedAt ? 'ended' : 'live'), r.endedAt ? 'ended' : 'live');
  cell('c-unheard' + (r.unheardSeconds > 0 ? ' gapped' : ''), `${r.unheardSeconds.toFixed(1)} s${missed(r) ? ' +' + missed(r) : ''}`).title = missedText(r);
  li.appendChild(el('span', 'c-red')).append(redactionChips(r.redactionsByType));
  cell('c-lat', `${ms(r.p50LatencyMs)} / ${ms(r.p99LatencyMs)}`);
  return li;
}

let drawn = '';
function renderRows(force) {
  if ($('view-calls').hidden) return;
  const h = rowHeight();
  const first = Math.max(0, Math.floor(scroller.scrollTop / h) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scroller.scrollTop + scroller.clientHeight) / h) + OVERSCAN);
  const key = `${first}:${last}:${active}:${rows.length}:${version}`;
  if (key === drawn && !force) return;
  drawn = key;
  const nodes = [];
  for (let i = first; i < last; i++) nodes.push(rowNode(rows[i], i));
  list.replaceChildren(...nodes);
}
let version = 0;           // bumped when a row's content changes
let framed = false;
function redraw() { version++; if (!framed) { framed = true; requestAnimationFrame(() => { framed = false; renderRows(); }); } }
scroller.addEventListener('scroll', () => { if (!framed) { framed = true; requestAnimationFrame(() => { framed = false; renderRows(); }); } }, { passive: true });
window.addEventListener('resize', () => layout());

list.addEventListener('click', e => {
  const li = e.target.closest('li[data-call]');
  if (li) location.hash = '#/call/' + encodeURIComponent(li.dataset.call);
});
scroller.addEventListener('keydown', e => {
  if (!rows.length) return;
  const page = Math.max(1, Math.floor(scroller.clientHeight / rowHeight()) - 1);
  const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity };
  if (e.key in moves) {
    e.preventDefault();
    active = Math.max(0, Math.min(rows.length - 1, active + moves[e.key]));
    const top = active * rowHeight();
    if (top < scroller.scrollTop) scroller.scrollTop = top;
    else if (top + rowHeight() > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + rowHeight() - scroller.clientHeight;
    scroller.setAttribute('aria-activedescendant', 'row-' + active);
    redraw();
  } else if (e.key === 'Enter' && rows[active]) {
    location.hash = '#/call/' + encodeURIComponent(rows[active].conversationId);
  }
});

// live durations: only the drawn rows' cells are touched
setInterval(() => {
  if (!$('view-calls').hidden) {
    for (const li of list.children) {
      const r = byId.get(li.dataset.call);
      if (r && !r.endedAt) li.querySelector('.dur').textContent = duration(r);
    }
  }
  if (current && callRow && !callRow.endedAt) { const d = $('fact-duration'); if (d) d.textContent = duration(callRow); }
}, 1000);

// the projections behind the list move on their own (unheard seconds, latency): a quiet refresh now and then
let refreshTimer = 0;
function refreshSoon(delay) {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = 0; if (!$('view-calls').hidden) loadCalls(); }, delay);
}
setInterval(() => { refreshSoon(0); if (current && callRow && !callRow.endedAt) timelineSoon(); }, 10000);

// ---------------------------------------------------------------- one call
let current = null;          // the open call's id
let callRow = null;          // its row from the server
let lines = new Map();       // utterance or gap key -> caption
let timeline = null;         // its stretches and latency, from the server, plus finals heard since
let callToken = 0;

async function openCall(id) {
  if (current === id) return;
  current = id;
  const token = ++callToken;
  lines = new Map();
  callRow = null;
  timeline = null;
  $('title').textContent = 'Call ' + id;
  $('facts').replaceChildren();
  $('captions').replaceChildren();
  $('timeline').replaceChildren();
  $('sparkline').replaceChildren();
  $('gaplist').replaceChildren();
  if (role === 'auditor') {
    const enc = encodeURIComponent(id);
    $('export-vtt').href = `/api/calls/${enc}/captions.vtt`;
    $('export-csv').href = `/api/reports/audit?call=${enc}&format=csv`;
    $('export-jsonl').href = `/api/reports/audit?call=${enc}&format=jsonl`;
    $('chain').textContent = 'Chain: verifying…';
    $('chain').className = '';
  }
  const [history] = await Promise.all([
    fetch(`/api/calls/${encodeURIComponent(id)}/captions`).then(r => r.ok ? r.json() : []),
    loadTimeline(),
  ]);
  if (token !== callToken) return;
  for (const cap of history) merge(cap);
  renderTranscript();
  if (role === 'auditor') verifyCall();
}

async function loadTimeline() {
  const id = current;
  try {
    const t = await getJson(`/api/console/calls/${encodeURIComponent(id)}`);
    if (id !== current) return;
    timeline = t;
    callRow = t.call;
    renderFacts();
    renderTimeline();
    // once ended, backfilled turns are known: they are marked and put where they were said
    if (t.call.endedAt && lines.size) renderTranscript();
  } catch (e) {
    // a call a moment old may not be projected yet: asked again shortly
    if (id === current) { $('facts').replaceChildren(el('div', 'status', 'Not projected yet: ' + e.message)); timelineTimer = setTimeout(loadTimeline, 2000); }
  }
}
let timelineTimer = 0;
function timelineSoon() { clearTimeout(timelineTimer); timelineTimer = setTimeout(loadTimeline, 400); }

// missing finals and late arrivals are counted, not time: shown beside the unheard seconds, never added to them
const missed = c => (c.missingFinals || 0) + (c.lateArrivals || 0);
const missedText = c => `${c.missingFinals || 0} final${c.missingFinals === 1 ? '' : 's'} missing, ${c.lateArrivals || 0} late arrival${c.lateArrivals === 1 ? '' : 's'}`;

function renderFacts() {
  const c = callRow;
  const f = (label, value, id) => { const d = el('div'); d.append(el('b', '', label)); const v = el('span', '', value); if (id) v.id = id; d.append(v); return d; };
  const red = el('div'); red.append(el('b', '', 'Redactions'), redactionChips(c.redactionsByType));
  $('facts').replaceChildren(
    f('Queue', c.queueId || '–'), f('Agent', c.agentName || c.agentId || '–'), f('Start', new Date(c.startedAt).toLocaleString()),
    f('Duration', duration(c), 'fact-duration'), f('State', c.endedAt ? 'ended' : 'live', 'fact-state'),
    f('Unheard', `${c.unheardSeconds.toFixed(1)} s (${c.gaps} gap${c.gaps === 1 ? '' : 's'} recorded)${missed(c) ? '; ' + missedText(c) : ''}`), red,
    f('Latency source→receive', `p50 ${ms(c.p50LatencyMs)} · p99 ${ms(c.p99LatencyMs)}`));
}

function renderTimeline() {
  if (!timeline) return;
  const W = 900, H = 46, stretches = timeline.stretches;
  const end = Math.max(1000, ...stretches.map(s => s.toMs));
  const x = v => (v / end) * W;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H + 14}`, width: '100%', role: 'img', 'aria-label': 'Coverage timeline' });
  s.append(svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#eef0f4' }));
  const lanes = { heard: [4, 18], backfilled: [24, 18], unheard: [0, H] };
  const colours = { heard: 'var(--heard)', backfilled: 'var(--backfill)', unheard: 'var(--unheard)' };
  for (const kind of ['unheard', 'heard', 'backfilled']) {
    for (const st of stretches.filter(t => t.kind === kind)) {
      const [y, h] = lanes[kind];
      const r = svg('rect', { x: x(st.fromMs), y, width: Math.max(2, x(st.toMs) - x(st.fromMs)), height: h, fill: colours[kind], 'fill-opacity': kind === 'unheard' ? 0.55 : 0.9, class: 'band-' + kind });
      r.append(svg('title', {}, `${kind} ${clock(st.fromMs)}–${clock(st.toMs)}${st.reason ? ': ' + st.reason : ''}`));
      s.append(r);
    }
  }
  for (let t = 0; t <= end; t += Math.max(1000, Math.ceil(end / 8 / 1000) * 1000)) {
    s.append(svg('text', { x: Math.min(W - 24, x(t)), y: H + 12, 'font-size': 10, fill: '#4f5869' }, clock(t)));
  }
  $('timeline').replaceChildren(s);
  for (const st of stretches.filter(t => t.kind === 'noted')) {
    const m = svg('rect', { x: x(st.fromMs), y: 0, width: 2, height: H, fill: 'var(--warn)', class: 'mark-noted' });
    m.append(svg('title', {}, `${clock(st.fromMs)}: ${st.reason}`));
    s.append(m);
  }
  $('gaplist').replaceChildren(...stretches.filter(t => t.kind === 'unheard' || t.kind === 'noted').map(g =>
    el('li', 'gap-reason', `${g.kind === 'unheard' ? `Unheard ${clock(g.fromMs)}–${clock(g.toMs)}` : `At ${clock(g.fromMs)}`}${g.channel ? ' (' + (speakers[g.channel] || g.channel) + ')' : ''}: ${g.reason}`)));
  renderSparkline();
}

function renderSparkline() {
  const pts = timeline ? timeline.latency : [];
  if (!pts.length) { $('sparkline').replaceChildren(el('span', 'status', 'no finals yet')); return; }
  const W = 300, H = 40, maxX = Math.max(1, ...pts.map(p => p.offsetMs)), maxY = Math.max(1, ...pts.map(p => p.latencyMs));
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': `Latency per final, up to ${Math.round(maxY)} ms` });
  s.append(svg('polyline', { fill: 'none', stroke: '#0b4fa8', 'stroke-width': 1.5,
    points: pts.map(p => `${(p.offsetMs / maxX * (W - 4) + 2).toFixed(1)},${(H - 2 - p.latencyMs / maxY * (H - 4)).toFixed(1)}`).join(' ') }));
  const box = el('div', 'legend');
  box.append(s, el('span', '', `max ${Math.round(maxY)} ms over ${pts.length} finals`));
  $('sparkline').replaceChildren(box);
}

async function verifyCall() {
  const id = current;
  $('chain').textContent = 'Chain: verifying…';
  try {
    const r = await getJson(`/api/console/calls/${encodeURIComponent(id)}/verify`, 'POST');
    if (id !== current) return;
    $('chain').textContent = chainText(r);
    $('chain').className = chainClass(r);
  } catch (e) {
    if (id === current) { $('chain').textContent = 'Chain: ' + e.message; $('chain').className = 'chain-bad'; }
  }
}
// green only when the whole chain up to its head is covered by a signed checkpoint; a head past the last one
// is not yet proven (amber: normal while a call is live, a warning after); anything broken is red
const chainText = r => !r.ok
  ? `Chain BROKEN: ${r.broken.map(b => `v${b.version}: ${b.reason}`).join('; ')}`
  : !r.signedToHead
    ? `Chain intact but not yet signed past v${r.signedVersion} (head v${r.headVersion}, ${r.events} events)${r.signaturesChecked ? '; signatures checked' : ''}`
    : `Chain verified: ${r.events} events, signed to its head v${r.headVersion} by ${r.checkpoints} checkpoint${r.checkpoints === 1 ? '' : 's'}${r.signaturesChecked ? ', signatures checked' : ''}`;
const chainClass = r => !r.ok ? 'chain-bad' : r.signedToHead ? 'chain-ok' : 'chain-unsigned';
if ($('verify-call')) $('verify-call').addEventListener('click', verifyCall);

// ---------------------------------------------------------------- the transcript
const keyOf = cap => cap.kind === 'gap' ? 'gap-' + cap.seq : cap.utteranceId;

// Merges one caption into the open call; returns whether it changed anything. A final is never replaced by a partial.
function merge(cap) {
  if (cap.kind === 'ended') { if (callRow) callRow.endedAt = callRow.endedAt || new Date().toISOString(); return true; }
  const key = keyOf(cap);
  const prev = lines.get(key);
  if (prev && (prev.isFinal || prev.revision > cap.revision) && !(cap.isFinal && !prev.isFinal)) return false;
  lines.set(key, cap);
  return true;
}

function lineNode(cap) {
  if (cap.kind === 'gap') {
    const g = el('div', 'line gap', cap.text);
    g.dataset.utterance = keyOf(cap);
    g.tabIndex = -1;
    return g;
  }
  const div = el('div', 'line ' + (cap.isFinal ? 'final' : 'partial'));
  div.dataset.utterance = cap.utteranceId;
  div.dataset.offset = cap.offsetMs;
  div.dataset.seq = cap.seq;
  div.tabIndex = -1;
  div.append(el('span', 'who', speakers[cap.channel] ?? 'Unknown'), el('span', 'time', clock(cap.offsetMs)));
  const text = el('span', 'text');
  text.append(withChips(cap.text));
  div.append(text);
  if (!cap.isFinal) div.setAttribute('aria-hidden', 'true');    // a partial is about to change: the live region speaks finals
  return div;
}

// Turns in the order they were said (a backfilled turn goes where it was said, not where it was recorded);
// a gap goes after the turn recorded just before it.
function turnOrder() {
  const bySeq = [...lines.values()].sort((a, b) => a.seq - b.seq);
  let last = -1;
  const keyed = bySeq.map(c => {
    if (c.kind !== 'gap') last = Math.max(last, c.offsetMs);
    return { c, at: c.kind === 'gap' ? last + 0.5 : c.offsetMs };
  });
  return keyed.sort((a, b) => a.at - b.at || a.c.seq - b.c.seq).map(k => k.c);
}

function renderTranscript() {
  const backfilled = new Set((timeline ? timeline.stretches : []).filter(s => s.kind === 'backfilled').map(s => s.channel + ':' + s.fromMs));
  $('captions').replaceChildren(...turnOrder().map(c => {
    const node = lineNode(c);
    if (c.kind !== 'gap' && backfilled.has(c.channel + ':' + c.offsetMs)) {
      node.classList.add('backfilled');
      node.title = 'backfilled from the stored transcript: not heard live';
    }
    return node;
  }));
}

function onCallCaption(cap) {
  if (!merge(cap)) return;
  if (cap.kind === 'ended') {
    const s = $('fact-state'); if (s) s.textContent = 'ended';
    timelineSoon();
    return;
  }
  const key = keyOf(cap);
  const node = lineNode(lines.get(key));
  const existing = $('captions').querySelector(`[data-utterance="${CSS.escape(key)}"]`);
  if (existing) existing.replaceWith(node);
  else {
    // live turns come in order; one said earlier (a late final) goes to its place
    const later = cap.kind === 'gap' ? null : [...$('captions').children].find(n => n.dataset.offset && +n.dataset.offset > cap.offsetMs);
    $('captions').insertBefore(node, later || null);
  }
  if (cap.kind === 'gap') { timelineSoon(); announce('Gap: ' + cap.text); return; }
  if (cap.isFinal) {
    announce(`${speakers[cap.channel] ?? 'Unknown'}: ${cap.text}`);
    if (timeline) {
      timeline.stretches.push({ kind: 'heard', channel: cap.channel, fromMs: cap.offsetMs, toMs: cap.offsetMs + cap.durationMs });
      if (cap.latencyMs != null) timeline.latency.push({ offsetMs: cap.offsetMs + cap.durationMs, latencyMs: cap.latencyMs });
      drawTimelineSoon();
    }
  }
}
let drawPending = false;
function drawTimelineSoon() { if (!drawPending) { drawPending = true; requestAnimationFrame(() => { drawPending = false; renderTimeline(); }); } }

// the live region holds the last few finals only: a screen reader hears each new one once
function announce(text) {
  const a = $('announcer');
  a.append(el('p', '', text));
  while (a.childElementCount > 3) a.firstElementChild.remove();
}

$('captions').addEventListener('keydown', e => {
  const all = [...$('captions').querySelectorAll('.line')];
  if (!all.length || !['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
  e.preventDefault();
  const at = all.indexOf(document.activeElement);
  const next = e.key === 'Home' ? 0 : e.key === 'End' ? all.length - 1 : Math.max(0, Math.min(all.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
  all[next].focus();
});

// ---------------------------------------------------------------- the live feed
function onCaption(cap) {
  const r = byId.get(cap.conversationId);
  if (r) {
    if (cap.kind === 'ended') { r.endedAt = r.endedAt || new Date().toISOString(); redraw(); }
    else if (cap.kind === 'gap') { r.gaps++; redraw(); }
    else if (cap.isFinal) r.finals++;
  } else if (cap.kind !== 'ended') {
    refreshSoon(1500);    // a call the list has not seen: ask for it (the server applies the filters)
  }
  if (cap.conversationId === current) onCallCaption(cap);
}

// ---------------------------------------------------------------- metrics
async function loadMetrics() {
  const minutes = +new FormData($('metrics-range')).get('range');
  const to = new Date(), from = new Date(to - minutes * 60000);
  try {
    const m = await getJson(`/api/console/metrics?from=${from.toISOString()}&to=${to.toISOString()}`);
    const t = p => Date.parse(p.at);
    lineChart($('chart-throughput'), [{ name: 'segments/s', colour: '#0b4fa8', points: m.series.map(p => [t(p), p.segmentsPerSecond]) }], +from, +to);
    lineChart($('chart-latency'), [
      { name: 'p50', colour: '#3b8c4f', points: m.series.map(p => [t(p), p.p50Ms]) },
      { name: 'p95', colour: '#b8860b', points: m.series.map(p => [t(p), p.p95Ms]) },
      { name: 'p99', colour: '#a3141b', points: m.series.map(p => [t(p), p.p99Ms]) }], +from, +to);
    barChart($('chart-redactions'), Object.entries(m.segmentsByRedaction).sort((a, b) => b[1] - a[1]));
    const hours = new Map();
    for (const g of m.gapsPerHour) hours.set(g.hour, (hours.get(g.hour) || 0) + g.count);
    barChart($('chart-gaps'), [...hours].map(([h, n]) => [new Date(h).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), n]),
      m.gapsPerHour.map(g => `${new Date(g.hour).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} ${g.kind}: ${g.count}`));
  } catch (e) {
    $('chart-throughput').replaceChildren(el('p', 'error', e.message));
  }
}
$('metrics-range').addEventListener('change', loadMetrics);

function lineChart(box, series, x0, x1) {
  // drawn from the first window in range, so a recorder started minutes ago is not a sliver at the right
  const firsts = series.flatMap(d => d.points.slice(0, 1).map(p => p[0]));
  if (firsts.length) x0 = Math.max(x0, Math.min(...firsts));
  const W = 420, H = 160, L = 40, B = 18;
  const maxY = Math.max(1e-9, ...series.flatMap(s => s.points.map(p => p[1])));
  const x = v => L + (v - x0) / Math.max(1, x1 - x0) * (W - L - 4);
  const y = v => H - B - v / maxY * (H - B - 6);
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': series.map(d => d.name).join(', ') + ` over time, up to ${fmt(maxY)}` });
  s.append(svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: '#8d95a5' }), svg('line', { x1: L, y1: 4, x2: L, y2: H - B, stroke: '#8d95a5' }));
  s.append(svg('text', { x: 2, y: 12, 'font-size': 10, fill: '#4f5869' }, fmt(maxY)), svg('text', { x: 2, y: H - B, 'font-size': 10, fill: '#4f5869' }, '0'));
  s.append(svg('text', { x: L, y: H - 4, 'font-size': 10, fill: '#4f5869' }, new Date(x0).toLocaleTimeString()),
    svg('text', { x: W - 60, y: H - 4, 'font-size': 10, fill: '#4f5869' }, new Date(x1).toLocaleTimeString()));
  for (const d of series) {
    if (d.points.length) s.append(svg('polyline', { fill: 'none', stroke: d.colour, 'stroke-width': 1.5, points: d.points.map(p => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ') }));
  }
  const legend = el('div', 'legend');
  for (const d of series) { const i = el('i'); i.style.background = d.colour; const sp = el('span'); sp.append(i, d.name); legend.append(sp); }
  if (!series.some(d => d.points.length)) legend.append(el('span', '', 'no windows in this range'));
  box.replaceChildren(s, legend);
}

function barChart(box, entries, details) {
  if (!entries.length) { box.replaceChildren(el('p', 'status', 'none in this range')); return; }
  const W = 420, row = 22, H = entries.length * row + 4, L = 110;
  const max = Math.max(1, ...entries.map(e => e[1]));
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': entries.map(([k, v]) => `${k}: ${v}`).join(', ') });
  entries.forEach(([k, v], i) => {
    s.append(svg('text', { x: 0, y: i * row + 15, 'font-size': 11, fill: '#1d2330' }, k));
    s.append(svg('rect', { x: L, y: i * row + 4, height: row - 8, width: Math.max(2, v / max * (W - L - 50)), fill: '#6a3fc1' }));
    s.append(svg('text', { x: L + v / max * (W - L - 50) + 6, y: i * row + 15, 'font-size': 11, fill: '#1d2330' }, String(v)));
  });
  const nodes = [s];
  if (details) nodes.push(el('p', 'status', details.join(' · ')));
  box.replaceChildren(...nodes);
}
const fmt = v => v >= 100 ? Math.round(v) : v >= 1 ? v.toFixed(1) : v.toFixed(2);

// ---------------------------------------------------------------- integrity and access (auditors)
async function loadIntegrity() {
  $('full-verify').textContent = 'None recorded: the full verify is the read-only verify verb, which prints its result (exit 1 when anything is broken) and records nothing. Verify one call below, or open a call.';
  try {
    const v = await getJson('/api/console/integrity');
    $('anchor').textContent = v.anchor
      ? `${v.anchor.events} events up to seq ${v.anchor.maxSeq}, signed ${new Date(v.anchor.signedAt).toLocaleString()} with key ${v.anchor.keyId}`
      : 'none signed yet';
    $('checkpoints').replaceChildren(...v.checkpoints.map(c => {
      const tr = el('tr');
      // the recorder's own streams ($access, $metrics, …) are not calls: named, not linked
      const name = c.streamId.startsWith('$') ? el('span', '', c.streamId) : el('a', '', c.streamId);
      if (name.tagName === 'A') name.href = '#/call/' + encodeURIComponent(c.streamId);
      tr.append(el('td'), el('td', '', String(c.version)), el('td', '', String(c.events)), el('td', '', c.keyId), el('td', '', new Date(c.signedAt).toLocaleString()));
      tr.firstChild.append(name);
      return tr;
    }));
  } catch (e) {
    $('anchor').textContent = e.message;
  }
}
if ($('verify-form')) $('verify-form').addEventListener('submit', async e => {
  e.preventDefault();
  const id = new FormData(e.target).get('call').trim();
  $('verify-result').textContent = 'verifying…';
  try {
    const r = await getJson(`/api/console/calls/${encodeURIComponent(id)}/verify`, 'POST');
    $('verify-result').textContent = `${id}: ${chainText(r)}`;
    $('verify-result').className = chainClass(r);
  } catch (err) {
    $('verify-result').textContent = `${id}: ${err.message}`;
    $('verify-result').className = 'chain-bad';
  }
});

async function loadAccess() {
  try {
    const entries = await getJson('/api/console/access');
    $('access').replaceChildren(...entries.map(a => {
      const tr = el('tr');
      tr.append(el('td', '', new Date(a.at).toLocaleString()), el('td', '', a.who), el('td', '', a.what), el('td', '', a.query || '–'));
      return tr;
    }));
  } catch (e) {
    $('access').replaceChildren(el('tr')).firstChild.append(el('td', 'error', e.message));
  }
}

// ---------------------------------------------------------------- start
(async function start() {
  try {
    const me = await getJson('/api/console/me');
    role = me.role;
    $('who').textContent = `${me.name} · ${me.role}`;
  } catch { /* the page itself needed a session: without one it would not have loaded */ }
  applyRole();
  showSort();
  window.addEventListener('hashchange', route);
  route();
  const source = new EventSource('/api/captions/stream');
  source.onmessage = e => onCaption(JSON.parse(e.data));
})();
