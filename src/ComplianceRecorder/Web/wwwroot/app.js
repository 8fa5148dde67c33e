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
  if (!calls.has(id)) calls.set(id, { lines: new Map(), order: [], segments: 0, gaps: 0, latency: [] });
  return calls.get(id);
}

function renderList() {
  list.replaceChildren();
  for (const [id, c] of calls) {
    const li = el('li', id === current ? 'active' : '');
    li.dataset.call = id;
    li.append(el('div', '', id.slice(0, 8) + '…' + id.slice(-4)));
    const p = c.latency.length ? Math.round(c.latency.sort((a, b) => a - b)[Math.floor(c.latency.length / 2)]) : '–';
    li.append(el('div', 'meta', `${c.segments} segments · ${c.gaps} gaps · p50 ${p} ms${c.ended ? ' · ended' : ''}`));
    li.onclick = () => { current = id; renderList(); renderCall(); };
    list.append(li);
  }
}

function lineNode(cap) {
  if (cap.kind === 'gap') return el('div', 'line gap', cap.text);
  const div = el('div', 'line ' + (cap.isFinal ? 'final' : 'partial'));
  div.dataset.utterance = cap.utteranceId;
  div.append(el('span', 'who', cap.channel === 'INTERNAL' ? 'Agent' : 'Customer'));
  div.append(el('span', 'text', cap.text));
  return div;
}

function renderCall() {
  const c = calls.get(current);
  document.getElementById('title').textContent = current ? 'Call ' + current : 'Select a call';
  captions.replaceChildren(...(c ? c.order.map(k => lineNode(c.lines.get(k))) : []));
}

function onCaption(cap) {
  const c = callOf(cap.conversationId);
  if (cap.kind === 'ended') { c.ended = true; renderList(); return; }
  const key = cap.kind === 'gap' ? 'gap-' + cap.seq : cap.utteranceId;
  const prev = c.lines.get(key);
  if (prev && prev.revision > cap.revision) return;
  if (!prev) c.order.push(key);
  c.lines.set(key, cap);
  if (cap.kind === 'gap') c.gaps++; else c.segments++;
  if (cap.latencyMs != null) c.latency.push(cap.latencyMs);
  if (current === null) current = cap.conversationId;
  if (cap.conversationId === current) {
    const existing = captions.querySelector(`[data-utterance="${CSS.escape(key)}"]`);
    const node = lineNode(cap);
    if (existing) existing.replaceWith(node); else captions.append(node);
  }
  renderList();
  if (cap.conversationId === current) document.getElementById('title').textContent = 'Call ' + current;
}

const source = new EventSource('/api/captions/stream');
source.onmessage = e => onCaption(JSON.parse(e.data));
