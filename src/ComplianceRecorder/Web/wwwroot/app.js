// Captions arrive redacted; they are still inserted as text, never as HTML.
const calls = new Map();
let current = null;
const captions = document.getElementById('captions');
const list = document.getElementById('calls');

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function callOf(id) {
  if (!calls.has(id)) calls.set(id, { lines: new Map(), order: [], segments: 0, gaps: 0, latency: [], loaded: false });
  return calls.get(id);
}

function median(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function renderList() {
  list.replaceChildren();
  for (const [id, c] of calls) {
    const li = el('li', id === current ? 'active' : '');
    li.dataset.call = id;
    li.append(el('div', '', id.slice(0, 8) + '…' + id.slice(-4)));
    const p = c.p50 ?? median(c.latency);
    li.append(el('div', 'meta', `${c.segments} utterances · ${c.gaps} gaps · p50 ${p == null ? '–' : Math.round(p) + ' ms'}${c.ended ? ' · ended' : ''}`));
    li.onclick = () => select(id);
    list.append(li);
  }
}

// The media dialect's BOTH is one mixed stream of agent and customer: it names neither.
const speakers = { INTERNAL: 'Agent', EXTERNAL: 'Customer', BOTH: 'Both' };

function lineNode(cap) {
  if (cap.kind === 'gap') return el('div', 'line gap', cap.text);
  const div = el('div', 'line ' + (cap.isFinal ? 'final' : 'partial'));
  div.dataset.utterance = cap.utteranceId;
  div.append(el('span', 'who', speakers[cap.channel] ?? 'Unknown'));
  div.append(el('span', 'text', cap.text));
  return div;
}

function renderCall() {
  const c = calls.get(current);
  document.getElementById('title').textContent = current ? 'Call ' + current : 'Select a call';
  // in the order recorded: live captions that came while the call's history was being fetched go after it, not before
  const keys = c ? [...c.order].sort((a, b) => c.lines.get(a).seq - c.lines.get(b).seq) : [];
  captions.replaceChildren(...keys.map(k => lineNode(c.lines.get(k))));
}

// Merges one caption into its call; returns whether anything changed.
function merge(cap) {
  const c = callOf(cap.conversationId);
  if (cap.kind === 'ended') { c.ended = true; return true; }
  const key = cap.kind === 'gap' ? 'gap-' + cap.seq : cap.utteranceId;
  const prev = c.lines.get(key);
  if (prev && (prev.isFinal || prev.revision > cap.revision) && !(cap.isFinal && !prev.isFinal)) return false;
  if (!prev) {
    c.order.push(key);
    if (cap.kind === 'gap') c.gaps++; else c.segments++;
  }
  c.lines.set(key, cap);
  if (cap.latencyMs != null) c.latency.push(cap.latencyMs);
  return true;
}

function onCaption(cap) {
  if (!merge(cap)) return;
  if (cap.conversationId === current && cap.kind !== 'ended') {
    const key = cap.kind === 'gap' ? 'gap-' + cap.seq : cap.utteranceId;
    const existing = captions.querySelector(`[data-utterance="${CSS.escape(key)}"]`);
    const node = lineNode(calls.get(current).lines.get(key));
    if (existing) existing.replaceWith(node); else captions.append(node);
  }
  renderList();
}

// A call opened mid-way (or after it ended) first gets what the store already holds.
async function select(id) {
  current = id;
  const c = callOf(id);
  if (!c.loaded) {
    c.loaded = true;
    const res = await fetch(`/api/calls/${encodeURIComponent(id)}/captions`);
    if (res.ok) for (const cap of await res.json()) merge(cap);
  }
  renderList();
  renderCall();
}

async function loadCalls() {
  const res = await fetch('/api/calls');
  if (!res.ok) return;
  for (const s of await res.json()) {
    const c = callOf(s.conversationId);
    c.ended = s.ended;
    c.p50 = s.p50LatencyMs;
    c.segments = Math.max(c.segments, s.finals);
    c.gaps = Math.max(c.gaps, s.gaps);
  }
  renderList();
}

loadCalls();
const source = new EventSource('/api/captions/stream');
source.onmessage = e => onCaption(JSON.parse(e.data));
