// carrier-sim dashboard: a hash-routed single page over the public admin
// API (/_sim/...). No framework, no build step; charts are inline SVG.
// Pages: #/overview, #/fleet?…, #/card/<iccid>, #/clock, #/faults.
'use strict';

const API = '/_sim';
const CARRIERS = ['cmcc', 'cucc', 'ctcc'];
const CARRIER_NAMES = { cmcc: 'China Mobile', cucc: 'China Unicom', ctcc: 'China Telecom' };
const STATES = ['inventory', 'test_ready', 'activation_ready', 'active', 'suspended', 'pre_cancel', 'cancelled'];
const SVGNS = 'http://www.w3.org/2000/svg';
// Endpoints other builds may lack, tried in order.
const FAULT_PATHS = ['/faults'];
const JOURNAL_PATHS = ['/requests', '/journal'];

const app = {
  token: sessionStorage.getItem('carrierSimToken') || '',
  clock: null,
  plans: null,
  accounts: null,
  page: null,
  timers: [],
  clockListeners: [],
  events: null,
};

// ---------------------------------------------------------------- helpers

/** Builds an element: h('a', {href: '#'}, 'text', child, …). */
function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the page's CSP
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the admin API; resolves to the JSON body or throws ApiError. */
async function api(path, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (app.token) headers.Authorization = 'Bearer ' + app.token;
  let res;
  try {
    res = await fetch(API + path, {
      method: opts.method || 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch (e) {
    throw new ApiError(0, 'the simulator is not reachable (' + e.message + ')');
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = text;
  }
  if (res.status === 401 || res.status === 403) askToken();
  if (!res.ok) {
    const msg = data && data.error ? data.error : res.status === 404 && !text ? 'not available' : (typeof data === 'string' && data) || res.statusText;
    throw new ApiError(res.status, msg);
  }
  return data;
}

/** Tries each path; returns [path, body] of the first that answers, or null when none exists. */
async function probe(paths) {
  for (const p of paths) {
    try {
      return [p, await api(p)];
    } catch (e) {
      if (e.status === 404 || e.status === 405) continue;
      throw e;
    }
  }
  return null;
}

function say(msg) {
  const s = document.getElementById('status');
  s.textContent = '';
  // Re-set on the next frame so that screen readers announce repeats.
  requestAnimationFrame(() => { s.textContent = msg; });
}

function alertMsg(msg) {
  const a = document.getElementById('alert');
  a.hidden = !msg;
  a.textContent = msg || '';
}

function askToken() {
  const f = document.getElementById('token-form');
  if (!f.hidden) return;
  f.hidden = false;
  document.getElementById('token-input').focus();
}

const KB = 1024, MB = KB * 1024, GB = MB * 1024;

/** Bytes as the carriers show them (1 GB = 1024 MB, 2 decimals). */
function bytes(n) {
  if (n === null || n === undefined) return '–';
  if (n >= GB) return (n / GB).toFixed(2) + ' GB';
  if (n >= MB) return (n / MB).toFixed(2) + ' MB';
  if (n >= KB) return (n / KB).toFixed(2) + ' KB';
  return n + ' B';
}

function yuan(fen) {
  if (fen === null || fen === undefined) return '–';
  return (fen < 0 ? '-¥' : '¥') + (Math.abs(fen) / 100).toFixed(2);
}

/** "2026-11-24T10:00:00+08:00" → "2026-11-24 10:00:00" (kept in Shanghai time). */
function when(t, withSeconds = true) {
  if (!t) return '–';
  const s = t.replace('T', ' ').replace(/(\.\d+)?(\+08:00|Z)$/, '');
  return withSeconds ? s : s.slice(0, 16);
}

function day(t) {
  return t ? t.slice(0, 10) : '–';
}

function stateBadge(state, reasons) {
  return h('span', { class: 'state state-' + state },
    state.replace(/_/g, ' '),
    (reasons || []).length ? h('span', { class: 'reasons' }, ' (' + reasons.join(', ').replace(/_/g, ' ') + ')') : null);
}

/** A labelled usage meter: used / allowance. */
function usageBar(used, allowance, label) {
  const pct = allowance > 0 ? Math.min(100, (used / allowance) * 100) : 0;
  const over = allowance > 0 && used > allowance;
  const text = allowance > 0 ? bytes(used) + ' / ' + bytes(allowance) : bytes(used);
  return h('span', { class: 'usage' },
    h('span', {
      class: 'bar' + (over ? ' over' : pct >= 90 ? ' near' : ''),
      role: 'meter',
      'aria-label': label || 'Data used',
      'aria-valuemin': 0,
      'aria-valuemax': allowance || 0,
      'aria-valuenow': Math.min(used, allowance || used),
      'aria-valuetext': text + (over ? ' (over the allowance)' : ''),
    }, h('span', { class: 'fill', style: 'width:' + pct.toFixed(1) + '%' })),
    h('span', { class: 'usage-text' }, text));
}

function field(label, control, hint) {
  const id = control.id || ('f-' + Math.random().toString(36).slice(2, 9));
  control.id = id;
  return h('p', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', {}, hint) : null);
}

function select(name, options, value) {
  return h('select', { name },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function section(title, id, ...children) {
  return h('section', { 'aria-labelledby': id, class: 'panel' }, h('h2', { id }, title), ...children);
}

function notAvailable(what) {
  return h('p', { class: 'na', 'data-testid': 'not-available' }, what + ': not available in this build of carrier-sim.');
}

function table(caption, head, rows, attrs = {}) {
  return h('table', attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows));
}

async function loadPlans() {
  if (!app.plans) {
    const r = await api('/plans');
    app.plans = Object.fromEntries(r.items.map((p) => [p.id, p]));
  }
  return app.plans;
}

async function loadAccounts() {
  if (!app.accounts) app.accounts = (await api('/accounts')).items;
  return app.accounts;
}

/** Allowance a card's bar is drawn against: its plan plus add-ons. */
function allowanceOf(card) {
  const p = app.plans && app.plans[card.plan];
  let a = p ? p.data_bytes : 0;
  for (const x of card.addons || []) a += x.data_bytes;
  return a;
}

// ------------------------------------------------------------------ charts

/** Vertical bar chart: data = [{label, value, title}]. */
function barChart(title, data, fmt, opts = {}) {
  const W = opts.width || 640, H = opts.height || 180, padL = 76, padB = 34, padT = 10;
  const max = Math.max(1, ...data.map((d) => d.value));
  const bw = data.length ? Math.min(90, (W - padL - 8) / data.length) : 0;
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(h('svg:title', {}, title));
  for (const f of [0, 0.5, 1]) {
    const y = H - padB - f * (H - padB - padT);
    svg.append(h('svg:line', { x1: padL, x2: W, y1: y, y2: y, class: 'grid' }));
    svg.append(h('svg:text', { x: padL - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' }, fmt(max * f)));
  }
  const every = Math.max(1, Math.ceil(data.length / 12));
  data.forEach((d, i) => {
    const bh = (d.value / max) * (H - padB - padT);
    const x = padL + i * bw;
    const r = h('svg:rect', { x: x + 1, y: H - padB - bh, width: Math.max(1, bw - 2), height: bh, class: 'barv' + (d.cls ? ' ' + d.cls : '') });
    r.append(h('svg:title', {}, (d.title || d.label) + ': ' + fmt(d.value)));
    svg.append(r);
    if (i % every === 0) svg.append(h('svg:text', { x: x + bw / 2, y: H - padB + 14, 'text-anchor': 'middle', class: 'axis' }, d.label));
  });
  return h('figure', { class: 'figure' }, svg, h('figcaption', {}, title));
}

/** Line of cumulative values over the cycle, with an optional allowance line. */
function cumulativeChart(title, points, allowance) {
  const W = 640, H = 180, padL = 76, padB = 34, padT = 10;
  const max = Math.max(1, allowance || 0, ...points.map((p) => p.value));
  const n = Math.max(1, points.length - 1);
  const x = (i) => padL + (i / n) * (W - padL - 8);
  const y = (v) => H - padB - (v / max) * (H - padB - padT);
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(h('svg:title', {}, title));
  for (const f of [0, 0.5, 1]) {
    svg.append(h('svg:line', { x1: padL, x2: W, y1: y(max * f), y2: y(max * f), class: 'grid' }));
    svg.append(h('svg:text', { x: padL - 4, y: y(max * f) + 4, 'text-anchor': 'end', class: 'axis' }, bytes(max * f)));
  }
  if (allowance) {
    svg.append(h('svg:line', { x1: padL, x2: W, y1: y(allowance), y2: y(allowance), class: 'limit' }));
    svg.append(h('svg:text', { x: W - 4, y: y(allowance) - 4, 'text-anchor': 'end', class: 'axis' }, 'allowance ' + bytes(allowance)));
  }
  if (points.length) {
    const d = points.map((p, i) => (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p.value).toFixed(1)).join(' ');
    svg.append(h('svg:path', { d, class: 'line' }));
    points.forEach((p, i) => {
      const c = h('svg:circle', { cx: x(i), cy: y(p.value), r: 3, class: 'dot' });
      c.append(h('svg:title', {}, p.label + ': ' + bytes(p.value)));
      svg.append(c);
    });
    const every = Math.max(1, Math.ceil(points.length / 10));
    points.forEach((p, i) => {
      if (i % every === 0) svg.append(h('svg:text', { x: x(i), y: H - padB + 14, 'text-anchor': 'middle', class: 'axis' }, p.label));
    });
  }
  return h('figure', { class: 'figure' }, svg, h('figcaption', {}, title));
}

/** Horizontal stacked bars: rows = [{label, parts: [{key, value}]}]. */
function stackedChart(title, rows, keys) {
  const W = 640, rowH = 28, padL = 60, H = rows.length * rowH + 8;
  const max = Math.max(1, ...rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0)));
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(h('svg:title', {}, title));
  rows.forEach((r, i) => {
    const y = 6 + i * rowH;
    svg.append(h('svg:text', { x: padL - 6, y: y + 16, 'text-anchor': 'end', class: 'axis' }, r.label));
    let x = padL;
    for (const p of r.parts) {
      if (!p.value) continue;
      const w = (p.value / max) * (W - padL - 10);
      const rect = h('svg:rect', { x, y, width: w, height: rowH - 8, class: 'seg state-fill-' + p.key });
      rect.append(h('svg:title', {}, r.label + ' ' + p.key.replace(/_/g, ' ') + ': ' + p.value));
      svg.append(rect);
      x += w;
    }
  });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' },
    keys.map((k) => h('li', {}, h('span', { class: 'swatch state-bg-' + k, 'aria-hidden': 'true' }), k.replace(/_/g, ' '))));
  return h('figure', { class: 'figure' }, svg, legend, h('figcaption', {}, title));
}

// ------------------------------------------------------------------ clock

function setClock(c) {
  app.clock = c;
  const t = document.getElementById('now');
  t.textContent = when(c.now);
  t.setAttribute('datetime', c.now);
  const m = document.getElementById('now-mode');
  m.textContent = c.mode === 'running' ? 'running ×' + c.speed : 'frozen';
  m.className = 'badge ' + c.mode;
  for (const f of app.clockListeners) f(c);
}

async function refreshClock() {
  try {
    setClock(await api('/clock'));
  } catch (e) {
    document.getElementById('now').textContent = 'unavailable';
  }
}

/** Live updates: the SSE stream when the server has one (read with fetch so
 * that named events and the bearer token work), polling otherwise. */
function startLive() {
  const poll = () => {
    refreshClock();
    const running = app.clock && app.clock.mode === 'running';
    setTimeout(poll, running ? 1000 : app.sse ? 10000 : 3000);
  };
  poll();
  streamEvents();
}

async function streamEvents() {
  if (app.streaming) return;
  app.streaming = true;
  try {
    await followStream();
  } finally {
    app.streaming = false;
  }
}

async function followStream() {
  let res;
  try {
    const headers = { Accept: 'text/event-stream' };
    if (app.token) headers.Authorization = 'Bearer ' + app.token;
    res = await fetch(API + '/events/stream', { headers });
  } catch (_) {
    return;
  }
  if (!res.ok || !res.body || !(res.headers.get('content-type') || '').startsWith('text/event-stream')) {
    app.sse = false;
    return;
  }
  app.sse = true;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value.replace(/\r\n/g, '\n');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
        if (data) onLiveEvent(data);
      }
    }
  } catch (_) { /* stream ended */ }
  app.sse = false;
  setTimeout(streamEvents, 5000);
}

/** An event from the stream: refresh the clock and whatever page listens. */
function onLiveEvent(data) {
  let ev = null;
  try {
    ev = JSON.parse(data);
  } catch (_) {
    return;
  }
  clearTimeout(app.liveTimer);
  // Bursts (a month's rollover) become one refresh.
  app.liveTimer = setTimeout(() => {
    refreshClock();
    if (app.onEvent) app.onEvent(ev);
  }, 150);
}

// ------------------------------------------------------------------ pages

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query || '') };
}

const PAGES = {
  overview: pageOverview,
  fleet: pageFleet,
  card: pageCard,
  clock: pageClock,
  faults: pageFaults,
};

let routeSeq = 0;

/** Renders the page named by the hash. `keepFocus` re-renders in place (after an action). */
async function route(keepFocus) {
  const refocus = keepFocus === true && document.activeElement ? document.activeElement.textContent : null;
  const { parts, params } = parseHash();
  const name = PAGES[parts[0]] ? parts[0] : 'fleet';
  for (const t of app.timers) clearInterval(t);
  app.timers = [];
  app.clockListeners = [];
  app.onEvent = null;
  alertMsg('');
  document.querySelectorAll('nav a[data-page]').forEach((a) => {
    const on = a.dataset.page === name || (name === 'card' && a.dataset.page === 'fleet');
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  const main = document.getElementById('main');
  const seq = ++routeSeq;
  const frag = h('div', { class: 'page page-' + name });
  try {
    await PAGES[name](frag, parts.slice(1), params);
  } catch (e) {
    frag.append(h('p', { class: 'error' }, 'Could not load this page: ' + e.message));
  }
  if (seq !== routeSeq) return;
  main.replaceChildren(frag);
  main.dataset.page = name;
  const h1 = frag.querySelector('h1');
  if (refocus) {
    const again = [...main.querySelectorAll('button')].find((b) => b.textContent === refocus);
    if (again) again.focus();
  }
  if (h1) {
    document.title = h1.textContent + ' · carrier-sim';
    if (app.routed && !refocus) {
      h1.tabIndex = -1;
      h1.focus();
    }
  }
  app.routed = true;
  main.setAttribute('aria-busy', 'false');
}

// --------------------------------------------------------------- overview

async function pageOverview(root) {
  root.append(h('h1', {}, 'Overview'));
  const [all, counts] = await Promise.all([api('/cards?page_size=1'), stateCounts()]);
  const rows = CARRIERS.map((c) => h('tr', {},
    h('th', { scope: 'row' }, CARRIER_NAMES[c] + ' (' + c + ')'),
    STATES.map((s) => h('td', { class: 'num', 'data-testid': `count-${c}-${s}` },
      counts[c + '/' + s] ? h('a', { href: `#/fleet?carrier=${c}&state=${s}` }, counts[c + '/' + s]) : '0')),
    h('td', { class: 'num' }, STATES.reduce((a, s) => a + counts[c + '/' + s], 0))));
  root.append(section('Cards per state and carrier', 'ov-states',
    h('p', {}, h('strong', { 'data-testid': 'total-cards' }, all.total), ' cards in the simulated world.'),
    h('div', { class: 'scroll' }, table('Cards per carrier and state', ['Carrier', ...STATES.map((s) => s.replace(/_/g, ' ')), 'Total'], rows)),
    stackedChart('Cards per carrier, by state', CARRIERS.map((c) => ({ label: c, parts: STATES.map((s) => ({ key: s, value: counts[c + '/' + s] })) })), STATES)));

  // Data used this cycle: pools always; per-card totals when the fleet is small enough to sum here.
  const dataSec = section('Data used this cycle', 'ov-data');
  root.append(dataSec);
  const pools = (await api('/pools')).items;
  const LIMIT = 10000;
  if (all.total <= LIMIT) {
    const per = Object.fromEntries(CARRIERS.map((c) => [c, 0]));
    const pages = Math.ceil(all.total / 1000);
    const got = await Promise.all(Array.from({ length: pages }, (_, i) => api(`/cards?page=${i + 1}&page_size=1000`)));
    for (const r of got) for (const c of r.items) per[c.carrier] += c.usage.data_bytes;
    dataSec.append(barChart('Data used this cycle per carrier (all cards)', CARRIERS.map((c) => ({ label: c, value: per[c] })), bytes, { height: 160 }));
  } else {
    dataSec.append(h('p', { class: 'na' }, `Per-carrier totals are summed in the browser only up to ${LIMIT} cards; this world has ${all.total}.`));
  }
  dataSec.append(h('div', { class: 'scroll' }, table('Pools', ['Pool', 'Carrier', 'Account', 'Used / size'],
    pools.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.name + ' (' + p.id + ')'), h('td', {}, p.carrier), h('td', {}, p.account),
      h('td', {}, usageBar(p.used_bytes, p.data_bytes, 'Pool ' + p.id + ' used'), p.exhausted ? h('span', { class: 'state state-suspended' }, ' exhausted') : null))))));

  // Events per hour over the last 24 simulated hours.
  const evSec = section('Events per hour (last 24 simulated hours)', 'ov-events');
  root.append(evSec);
  const now = Date.parse((app.clock || (await api('/clock'))).now);
  const from = new Date(now - 24 * 3600e3);
  const ev = await api('/events?limit=10000&from=' + encodeURIComponent(shanghaiIso(from)));
  const buckets = Array.from({ length: 24 }, (_, i) => ({ label: '', value: 0, start: now - (24 - i) * 3600e3 }));
  for (const e of ev.items) {
    const i = Math.floor((Date.parse(e.time) - (now - 24 * 3600e3)) / 3600e3);
    if (i >= 0 && i < 24) buckets[i].value += 1;
  }
  for (const b of buckets) {
    b.label = shanghaiIso(new Date(b.start)).slice(11, 13) + 'h';
    b.title = when(shanghaiIso(new Date(b.start)), false);
  }
  evSec.append(barChart('Events per hour', buckets, (v) => String(Math.round(v)), { height: 160 }));
  const types = {};
  for (const e of ev.items) types[e.type] = (types[e.type] || 0) + 1;
  evSec.append(h('p', {}, ev.items.length + ' events' + (ev.items.length >= 10000 ? ' (first 10000)' : '') + ': ' +
    (Object.entries(types).map(([k, v]) => k + ' ' + v).join(', ') || 'none')));
}

/** Cards per "carrier/state": from the `carrier_sim_cards` gauge of
 * /_sim/metrics (one pass over the fleet) when the server has it, else one
 * `/_sim/cards?carrier=&state=&page_size=1` count per pair. */
async function stateCounts() {
  const counts = {};
  for (const c of CARRIERS) for (const s of STATES) counts[c + '/' + s] = 0;
  try {
    const headers = app.token ? { Authorization: 'Bearer ' + app.token } : {};
    const res = await fetch(API + '/metrics', { headers });
    if (res.ok) {
      const text = await res.text();
      const re = /^carrier_sim_cards\{carrier="(\w+)",state="(\w+)"\} (\d+)/gm;
      let m, found = false;
      while ((m = re.exec(text))) {
        counts[m[1] + '/' + m[2]] = Number(m[3]);
        found = true;
      }
      if (found) return counts;
    }
  } catch (_) { /* fall back to counting through the cards API */ }
  await Promise.all(CARRIERS.flatMap((c) => STATES.map((s) =>
    api(`/cards?carrier=${c}&state=${s}&page_size=1`).then((r) => { counts[c + '/' + s] = r.total; }))));
  return counts;
}

/** A Date as RFC 3339 in +08:00. */
function shanghaiIso(d) {
  const s = new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 19);
  return s + '+08:00';
}

// ------------------------------------------------------------------ fleet

const FLEET_KEYS = ['carrier', 'account', 'state', 'tag', 'q', 'page', 'page_size'];

async function pageFleet(root, _rest, params) {
  root.append(h('h1', {}, 'Fleet'));
  const [accounts] = await Promise.all([loadAccounts(), loadPlans()]);
  const v = (k) => params.get(k) || '';
  const form = h('form', { role: 'search', class: 'filters', 'aria-label': 'Filter cards' },
    field('Carrier', select('carrier', [['', 'All carriers'], ...CARRIERS.map((c) => [c, CARRIER_NAMES[c]])], v('carrier'))),
    field('Account', select('account', [['', 'All accounts'], ...accounts.map((a) => [a.id, a.id])], v('account'))),
    field('State', select('state', [['', 'All states'], ...STATES.map((s) => [s, s.replace(/_/g, ' ')])], v('state'))),
    field('Tag', h('input', { name: 'tag', value: v('tag'), size: 12 })),
    field('ICCID, MSISDN or IMSI', h('input', { name: 'q', type: 'search', value: v('q'), size: 22, inputmode: 'numeric' })),
    field('Per page', select('page_size', ['25', '50', '100', '250'].map((n) => [n, n]), v('page_size') || '50')),
    h('p', { class: 'field buttons' }, h('button', { type: 'submit' }, 'Filter'), h('button', { type: 'reset', onclick: (e) => { e.preventDefault(); location.hash = '#/fleet'; } }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, val] of new FormData(form)) if (val) q.set(k, val.trim());
    location.hash = '#/fleet?' + q.toString();
  });
  root.append(form);

  const q = new URLSearchParams();
  for (const k of FLEET_KEYS) if (params.get(k)) q.set(k, params.get(k));
  if (!q.get('page_size')) q.set('page_size', '50');
  let r;
  try {
    r = await api('/cards?' + q.toString());
  } catch (e) {
    root.append(h('p', { class: 'error', role: 'alert' }, e.message));
    return;
  }
  const pages = Math.max(1, Math.ceil(r.total / r.page_size));
  const rows = r.items.map((c) => h('tr', { 'data-iccid': c.iccid },
    h('th', { scope: 'row' }, h('a', { href: '#/card/' + c.iccid, class: 'mono' }, c.iccid)),
    h('td', { class: 'mono' }, c.msisdn),
    h('td', {}, c.carrier),
    h('td', { class: 'nowrap' }, c.account),
    h('td', {}, stateBadge(c.state, c.reasons)),
    h('td', {}, (app.plans[c.plan] || {}).name || c.plan, c.pool ? h('small', { class: 'block' }, 'pool ' + c.pool) : null),
    h('td', {}, usageBar(c.usage.data_bytes, allowanceOf(c))),
    h('td', { class: 'num' }, yuan(c.balance_fen)),
    h('td', { class: 'nowrap' }, day(c.expires))));
  const go = (p) => {
    const n = new URLSearchParams(q);
    n.set('page', p);
    location.hash = '#/fleet?' + n.toString();
  };
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of cards' },
    h('button', { type: 'button', disabled: r.page <= 1, onclick: () => go(r.page - 1) }, '‹ Previous'),
    h('span', { 'data-testid': 'fleet-range' }, r.total ? `Cards ${(r.page - 1) * r.page_size + 1}–${(r.page - 1) * r.page_size + r.items.length} of ${r.total}` : 'No cards match', ` · page ${r.page} of ${pages}`),
    h('button', { type: 'button', disabled: r.page >= pages, onclick: () => go(r.page + 1) }, 'Next ›'));
  root.append(h('div', { class: 'scroll' },
    table(`Cards (${r.total})`, ['ICCID', 'MSISDN', 'Carrier', 'Account', 'State', 'Plan', 'Data used / allowance', 'Balance', 'Expires'], rows, { class: 'fleet', 'data-testid': 'fleet-table' })),
    pager);
  say(`${r.total} cards; page ${r.page} of ${pages}.`);
}

// ------------------------------------------------------------------- card

async function pageCard(root, rest) {
  const id = rest[0];
  await loadPlans();
  let card;
  try {
    card = await api('/cards/' + encodeURIComponent(id));
  } catch (e) {
    root.append(h('h1', {}, 'Card ' + id), h('p', { class: 'error' }, e.message), h('p', {}, h('a', { href: '#/fleet' }, 'Back to the fleet')));
    return;
  }
  const top = h('div', {});
  const bottom = h('div', {});
  const paint = async (c) => {
    const t = await cardTop(c);
    top.replaceChildren(...t);
    bottom.replaceChildren(...cardBottom(c));
  };
  // Re-reads the card (after an action, a message, an event or a clock move);
  // the action forms and the handset stay as they are, and so does focus.
  let busy = null, again = false;
  const refresh = async () => {
    if (busy) { again = true; return busy; }
    busy = (async () => {
      do {
        again = false;
        try {
          await paint(await api('/cards/' + encodeURIComponent(card.iccid)));
        } catch (e) {
          say('Could not re-read the card: ' + e.message);
        }
      } while (again);
    })();
    try { await busy; } finally { busy = null; }
  };
  await paint(card);
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/fleet' }, 'Fleet'), ' › ', card.iccid),
    h('h1', {}, 'Card ', h('span', { class: 'mono' }, card.iccid)),
    top,
    h('div', { class: 'grid two' }, actionsPanel(card, refresh), handsetPanel(card, refresh)),
    bottom);
  app.onEvent = (ev) => { if (!ev || ev.iccid === card.iccid) refresh(); };
  let seenNow = app.clock && app.clock.now;
  app.clockListeners.push((k) => {
    if (k.now !== seenNow) {
      seenNow = k.now;
      refresh();
    }
  });
}

/** The card's state line, identity, plan, pool and usage. */
async function cardTop(card) {
  const lead = h('p', { class: 'lead' }, 'State: ', h('strong', { 'data-testid': 'card-state' }, stateBadge(card.state, card.reasons)),
    ' · ', card.online ? 'online' : 'offline', ' · balance ', h('strong', { 'data-testid': 'card-balance' }, yuan(card.balance_fen)));
  const grid = h('div', { class: 'grid' });
  const plan = app.plans[card.plan];
  grid.append(section('Identity', 'c-id', h('dl', { class: 'kv' },
    kv('ICCID', card.iccid), kv('MSISDN', card.msisdn), kv('IMSI', card.imsi), kv('IMEI', card.imei),
    kv('Carrier', CARRIER_NAMES[card.carrier] + ' (' + card.carrier + ')'), kv('Account', card.account),
    kv('Opened', when(card.opened)), kv('Activated', when(card.activated)), kv('Expires', when(card.expires)),
    card.cancel_at ? kv('Cancels at', when(card.cancel_at)) : null,
    kv('Real-name', card.real_name ? 'yes' : 'no'), kv('Tags', (card.tags || []).join(', ') || '–'),
    kv('Session', card.session.online ? `${card.session.rat || ''} ${card.session.apn || ''} ${card.session.ip || ''} ${card.session.city || ''}` : 'offline'))));

  const allowance = allowanceOf(card);
  grid.append(section('Plan', 'c-plan', h('dl', { class: 'kv' },
    kv('Plan', plan ? plan.name + ' (' + plan.id + ')' : card.plan),
    plan ? kv('Allowance', bytes(plan.data_bytes) + ' data, ' + plan.sms + ' SMS per month') : null,
    plan ? kv('Fees', yuan(plan.monthly_fee_fen) + '/month, overage ' + yuan(plan.overage_fen_per_mb) + '/MB, renewal ' + yuan(plan.renewal_fee_fen) + ' for ' + plan.term_months + ' months') : null,
    kv('Add-ons', (card.addons || []).map((a) => a.name + ' ' + bytes(a.data_bytes)).join(', ') || 'none'),
    kv('Auto-stop at quota', card.auto_stop ? 'yes' : 'no'),
    card.threshold ? kv('Threshold', bytes(card.threshold.quota_bytes) + (card.threshold.reached ? ' (reached)' : '')) : null,
    card.speed_limit ? kv('Speed limit', String(card.speed_limit)) : null,
    card.pending_renewal_months ? kv('Pending renewal', card.pending_renewal_months + ' months') : null,
    kv('Cycle', card.cycle))));

  const poolSec = section('Pool', 'c-pool');
  if (card.pool) {
    const pools = (await api('/pools')).items;
    const p = pools.find((x) => x.id === card.pool);
    poolSec.append(p ? h('div', {}, h('p', {}, p.name + ' (' + p.id + ')' + (p.exhausted ? ' — exhausted' : '')), usageBar(p.used_bytes, p.data_bytes, 'Pool used')) : h('p', {}, card.pool));
  } else {
    poolSec.append(h('p', {}, 'Not in a pool.'));
  }
  grid.append(poolSec);
  return [lead, grid, section('Usage', 'c-usage', usageChartBlock(card, allowance))];
}

/** The card's ledger and event timeline. */
function cardBottom(card) {
  const ledger = (card.ledger || []).slice().reverse();
  const events = (card.events || []).slice().reverse();
  return [
    section('Ledger', 'c-ledger',
      h('p', {}, 'Opening balance ' + yuan(card.opening_balance_fen) + '.'),
      ledger.length ? h('div', { class: 'scroll' }, table('Ledger, newest first', ['Time', 'Kind', 'Amount', 'Balance', 'Note'],
        ledger.map((e) => h('tr', {}, h('td', {}, when(e.time)), h('td', {}, e.kind.replace(/_/g, ' ')),
          h('td', { class: 'num' + (e.amount_fen < 0 ? ' neg' : '') }, yuan(e.amount_fen)), h('td', { class: 'num' }, yuan(e.balance_fen)), h('td', {}, e.note))))) : h('p', {}, 'No ledger entries yet.')),
    section('Event timeline', 'c-events',
      events.length ? h('ol', { class: 'timeline', 'data-testid': 'card-events' }, events.slice(0, 200).map((e) => eventItem(e))) : h('p', {}, 'No events yet.')),
  ];
}

function kv(k, v) {
  return [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '–' : v)];
}

function eventText(e) {
  const skip = new Set(['seq', 'time', 'iccid', 'account', 'type']);
  switch (e.type) {
    case 'state_changed':
      return `${e.from} → ${e.to}` + (e.reasons && e.reasons.length ? ` (${e.reasons.join(', ')})` : e.reason ? ` (${e.reason})` : '');
    case 'sms_sent':
      return `to ${e.to}: ${e.text}`;
    case 'sms_received':
      return `from ${e.from}: ${e.text}`;
    case 'charged':
      return `${yuan(Math.abs(e.amount_fen))} ${(e.kind || '').replace(/_/g, ' ')}, balance ${yuan(e.balance_fen)}`;
    case 'top_up':
      return `${yuan(e.amount_fen)}, balance ${yuan(e.balance_fen)}`;
    default:
      return Object.entries(e).filter(([k]) => !skip.has(k))
        .map(([k, v]) => k + ' ' + (k.endsWith('_fen') ? yuan(v) : k.endsWith('bytes') ? bytes(v) : typeof v === 'object' ? JSON.stringify(v) : v)).join(', ');
  }
}

function eventItem(e, withCard) {
  return h('li', { class: 'ev ev-' + e.type },
    h('time', { datetime: e.time }, when(e.time)), ' ',
    withCard && e.iccid ? [h('a', { href: '#/card/' + e.iccid, class: 'mono' }, e.iccid), ' '] : null,
    h('strong', {}, e.type.replace(/_/g, ' ')), ' ',
    h('span', {}, eventText(e)));
}

function usageChartBlock(card, allowance) {
  const wrap = h('div', {});
  wrap.append(h('p', {}, 'This cycle (', card.cycle, '): ', usageBar(card.usage.data_bytes, allowance, 'Data used this cycle'),
    ` · ${card.usage.sms} SMS · ${Math.round(card.usage.voice_seconds / 60)} min voice`));
  const days = card.daily_usage || [];
  const cyc = card.cycle ? card.cycle.slice(0, 4) + '-' + card.cycle.slice(4, 6) : '';
  const inCycle = days.filter((d) => d.date.startsWith(cyc));
  if (!days.length) {
    wrap.append(h('p', {}, 'No daily usage recorded yet.'));
    return wrap;
  }
  // Cumulative over the cycle: from the first of the month to the latest day seen.
  if (inCycle.length) {
    const byDate = Object.fromEntries(inCycle.map((d) => [d.date, d.data_bytes]));
    const last = Number(inCycle[inCycle.length - 1].date.slice(8, 10));
    let sum = 0;
    const pts = [];
    for (let d = 1; d <= last; d++) {
      const key = cyc + '-' + String(d).padStart(2, '0');
      sum += byDate[key] || 0;
      pts.push({ label: String(d), value: sum });
    }
    wrap.append(cumulativeChart('Cumulative data this cycle, by day of month (' + cyc + ')', pts, allowance));
  }
  const recent = days.slice(-31);
  wrap.append(barChart('Data used per day (last ' + recent.length + ' days with records)',
    recent.map((d) => ({ label: d.date.slice(5), value: d.data_bytes, title: d.date })), bytes));
  wrap.append(h('details', {}, h('summary', {}, 'Daily usage as a table'),
    table('Daily usage', ['Date', 'Data', 'SMS', 'Voice (s)'],
      recent.slice().reverse().map((d) => h('tr', {}, h('td', {}, d.date), h('td', { class: 'num' }, bytes(d.data_bytes)), h('td', { class: 'num' }, d.sms), h('td', { class: 'num' }, d.voice_seconds))))));
  return wrap;
}

function actionsPanel(card, refresh) {
  const out = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'action-result' });
  const run = async (body, label) => {
    out.className = 'result';
    out.textContent = label + '…';
    try {
      const c = await api('/cards/' + card.iccid + '/actions', { method: 'POST', body });
      await refresh();
      const reasons = c.reasons && c.reasons.length ? ' (' + c.reasons.join(', ').replace(/_/g, ' ') + ')' : '';
      out.textContent = `${label}: done; the card is now ${c.state.replace(/_/g, ' ')}${reasons}, balance ${yuan(c.balance_fen)}, ${bytes(c.usage.data_bytes)} used this cycle.`;
    } catch (e) {
      out.textContent = label + ' refused: ' + e.message;
      out.className = 'result error';
    }
  };
  const btn = (label, action) => h('button', { type: 'button', onclick: () => run({ action }, label) }, label);
  const smallForm = (legend, inputLabel, input, submit, make) => {
    const f = h('form', { class: 'inline' }, field(inputLabel, input), h('button', { type: 'submit' }, submit));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = make(input.value.trim());
      if (typeof body === 'string') {
        out.textContent = body;
        out.className = 'result error';
        return;
      }
      run(body, legend);
    });
    return f;
  };
  const amount = h('input', { type: 'number', min: '0.01', step: '0.01', value: '10.00', required: true, inputmode: 'decimal' });
  const months = h('input', { type: 'number', min: '1', max: '120', step: '1', value: '12', required: true });
  const data = h('input', { type: 'text', value: '100MB', required: true, size: 8, pattern: '\\s*\\d+(\\.\\d+)?\\s*([KMGkmg]?[Bb])?\\s*', title: 'a size such as 500MB, 1.5GB or a number of bytes' });
  return section('Actions', 'c-actions',
    h('div', { class: 'buttons', role: 'group', 'aria-label': 'State actions' },
      btn('Stop', 'stop'), btn('Resume', 'resume'), btn('Activate', 'activate'), btn('Cut data', 'cut_data'), btn('Restore data', 'restore_data')),
    smallForm('Top up', 'Top-up amount (yuan)', amount, 'Top up', (v) => {
      const fen = Math.round(Number(v) * 100);
      return fen > 0 ? { action: 'top_up', amount_fen: fen } : 'The amount must be positive.';
    }),
    smallForm('Renew', 'Renew for months', months, 'Renew', (v) => ({ action: 'renew', months: Number(v) })),
    smallForm('Use data', 'Use data (adds to this cycle)', data, 'Use data', (v) => (/^\d+$/.test(v) ? { action: 'use_data', bytes: Number(v) } : { action: 'use_data', bytes: v.replace(/\s+/g, '') })),
    out);
}

function handsetPanel(card, refresh) {
  const sec = section('Virtual handset', 'c-handset');
  sec.classList.add('handset-panel');
  const phone = h('div', { class: 'phone' });
  const log = h('ol', { class: 'convo', 'aria-label': 'Messages on the handset', 'aria-live': 'polite', 'data-testid': 'handset-log' });
  const to = h('input', { name: 'to', size: 8, inputmode: 'numeric', required: true });
  const text = h('input', { name: 'text', size: 16, required: true, autocomplete: 'off' });
  const quick = h('div', { class: 'quick', role: 'group', 'aria-label': 'Service commands' });
  const form = h('form', { class: 'compose' }, field('To', to), field('Message', text), h('button', { type: 'submit' }, 'Send SMS'));
  const info = h('p', { class: 'hs-info' }, 'Loading the handset…');
  phone.append(h('p', { class: 'phone-top' }, card.msisdn), log, quick, form);
  sec.append(info, phone);

  const bubble = (m) => h('li', { class: 'msg ' + (m.direction === 'mo' ? 'out' : 'in') },
    h('span', { class: 'peer' }, m.direction === 'mo' ? 'To ' + m.peer : 'From ' + m.peer),
    h('span', { class: 'text' }, m.text),
    h('time', { datetime: m.time }, when(m.time, false)));
  const base = API + '/handsets/' + card.iccid;
  (async () => {
    let hs;
    try {
      hs = await api('/handsets/' + card.iccid);
    } catch (e) {
      info.replaceWith(notAvailable('The virtual handset'));
      phone.hidden = true;
      return;
    }
    to.value = hs.sms_number;
    info.textContent = `Service number ${hs.sms_number} (hotline ${hs.voice_number}); network access: ${hs.access.replace(/_/g, ' ')}.`;
    const seen = new Set();
    for (const c of hs.commands || []) {
      if (seen.has(c.command)) continue;
      seen.add(c.command);
      quick.append(h('button', { type: 'button', title: 'ask for ' + c.query, onclick: () => send(c.command) }, c.command));
    }
    try {
      const m = await api('/handsets/' + card.iccid + '/messages');
      for (const x of (m.messages || []).slice(-30)) log.append(bubble(x));
    } catch (_) { /* history is optional */ }
  })();

  let sending = false;
  async function send(t) {
    if (sending) return;
    sending = true;
    const now = app.clock ? app.clock.now : '';
    log.append(bubble({ direction: 'mo', peer: to.value, text: t, time: now }));
    try {
      const r = await api('/handsets/' + card.iccid + '/sms', { method: 'POST', body: { to: to.value, text: t } });
      if (!r.replies.length) log.append(h('li', { class: 'msg note' }, 'No reply from ' + to.value + '.'));
      for (const x of r.replies) log.append(bubble({ direction: 'mt', peer: x.from, text: x.text, time: x.time }));
      text.value = '';
      refresh();
      say((r.replies.length ? 'Reply from ' + r.replies[0].from + ': ' + r.replies[0].text : 'No reply.'));
    } catch (e) {
      log.append(h('li', { class: 'msg note error' }, 'Not sent: ' + e.message));
    } finally {
      sending = false;
      log.lastElementChild && log.lastElementChild.scrollIntoView({ block: 'nearest' });
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (text.value.trim()) send(text.value.trim());
  });
  sec.dataset.base = base;
  return sec;
}

// ------------------------------------------------------------------ clock

function nextMonthStart(now) {
  // now is "YYYY-MM-DDTHH:MM:SS+08:00"
  let y = Number(now.slice(0, 4)), m = Number(now.slice(5, 7)) + 1;
  if (m > 12) { m = 1; y += 1; }
  return `${y}-${String(m).padStart(2, '0')}-01T00:00:00+08:00`;
}

function monthEndMinus(now, secs) {
  const t = Date.parse(nextMonthStart(now)) - secs * 1000;
  return shanghaiIso(new Date(t));
}

async function pageClock(root) {
  root.append(h('h1', {}, 'Clock'));
  const c = await api('/clock');
  setClock(c);
  const big = h('p', { class: 'bigclock' }, h('time', { 'data-testid': 'clock-now' }, when(c.now)));
  const meta = h('p', { 'data-testid': 'clock-meta' });
  const out = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'clock-result' });
  const paint = (k) => {
    big.firstChild.textContent = when(k.now);
    big.firstChild.setAttribute('datetime', k.now);
    meta.textContent = `Cycle ${k.cycle} · ${k.mode === 'running' ? 'running at ×' + k.speed : 'frozen'}`;
    if (document.activeElement !== setIn) setIn.value = k.now.slice(0, 19);
  };
  app.clockListeners.push((k) => paint(k));
  const post = async (body, label) => {
    out.className = 'result';
    out.textContent = label + '…';
    try {
      const k = await api('/clock', { method: 'POST', body });
      setClock(k);
      out.textContent = label + ': now ' + when(k.now) + ' (cycle ' + k.cycle + ').';
      loadEvents();
    } catch (e) {
      out.textContent = label + ' refused: ' + e.message;
      out.className = 'result error';
    }
  };
  const step = (label, body) => h('button', { type: 'button', onclick: () => post(typeof body === 'function' ? body() : body, label) }, label);
  const adv = h('input', { name: 'advance', size: 8, value: '40d', required: true, title: 'a duration such as 90m, 36h or 40d' });
  const advForm = h('form', { class: 'inline' }, field('Advance by', adv, 'e.g. 90m, 36h, 40d'), h('button', { type: 'submit' }, 'Advance'));
  advForm.addEventListener('submit', (e) => { e.preventDefault(); post({ advance: adv.value.trim() }, 'Advance ' + adv.value.trim()); });
  const setIn = h('input', { name: 'set', type: 'datetime-local', step: 1, required: true, value: c.now.slice(0, 19) });
  const setForm = h('form', { class: 'inline' }, field('Set to (Shanghai time)', setIn), h('button', { type: 'submit' }, 'Set'));
  paint(c);
  setForm.addEventListener('submit', (e) => {
    e.preventDefault();
    let v = setIn.value;
    if (v.length === 16) v += ':00';
    post({ set: v + '+08:00' }, 'Set');
  });
  const speed = h('input', { name: 'speed', type: 'number', min: '0.1', max: '10000000', step: 'any', value: c.speed || 60, required: true });
  const speedForm = h('form', { class: 'inline' }, field('Speed (simulated seconds per real second)', speed), h('button', { type: 'submit' }, 'Run'),
    h('button', { type: 'button', onclick: () => post({ freeze: true }, 'Freeze') }, 'Freeze'));
  speedForm.addEventListener('submit', (e) => { e.preventDefault(); post({ speed: Number(speed.value) }, 'Run at ×' + speed.value); });

  root.append(section('Simulated time', 'k-now', big, meta,
    h('div', { class: 'buttons', role: 'group', 'aria-label': 'Advance by a preset step' },
      step('+1 hour', { advance: '1h' }), step('+1 day', { advance: '1d' }), step('+7 days', { advance: '7d' }),
      step('To month end', () => ({ set: monthEndMinus(app.clock.now, 60) })),
      step('Past month end', () => ({ set: shanghaiIso(new Date(Date.parse(nextMonthStart(app.clock.now)) + 60e3)) }))),
    advForm, setForm, speedForm, out));

  const list = h('ol', { class: 'timeline', 'data-testid': 'clock-events' });
  const liveNote = h('p', { 'data-testid': 'live-mode' }, app.sse ? 'Live: following the server\'s event stream.' : 'Live: polling every few seconds.');
  root.append(section('Latest events', 'k-events', liveNote, list));
  let after = null;
  // Starts a day back and follows the journal with its `after` cursor; a big
  // backlog (a rollover of a large fleet) is read in at most 20 pages a tick.
  let loading = false;
  async function loadEvents() {
    if (loading) return;
    loading = true;
    try {
      let keep = [];
      for (let i = 0; i < 20; i++) {
        let q = '/events?limit=10000';
        if (after !== null) q += '&after=' + after;
        else if (app.clock) q += '&from=' + encodeURIComponent(shanghaiIso(new Date(Date.parse(app.clock.now) - 24 * 3600e3)));
        const r = await api(q);
        if (r.items.length) after = r.next_after;
        keep = keep.concat(r.items).slice(-50);
        if (r.items.length < 10000) break;
      }
      for (const e of keep) list.prepend(eventItem(e, true));
      while (list.children.length > 50) list.lastElementChild.remove();
    } catch (_) {
      /* keep the old list */
    } finally {
      loading = false;
    }
  }
  await loadEvents();
  app.timers.push(setInterval(loadEvents, 3000));
  app.onEvent = () => loadEvents();
}

// ------------------------------------------------------- faults & journal

async function pageFaults(root, _rest, params) {
  root.append(h('h1', {}, 'Faults and request journal'));
  const fSec = section('Faults', 'f-faults');
  const jSec = section('Recent carrier-API requests', 'f-journal');
  root.append(fSec, jSec);
  await Promise.all([renderFaults(fSec), renderJournal(jSec, params)]);
}

function itemsOf(body) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.items)) return body.items;
  if (body && Array.isArray(body.faults)) return body.faults;
  if (body && Array.isArray(body.requests)) return body.requests;
  if (body && Array.isArray(body.entries)) return body.entries;
  return [];
}

function cell(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return h('code', {}, JSON.stringify(v));
  return String(v);
}

async function renderFaults(sec) {
  let found;
  try {
    found = await probe(FAULT_PATHS);
  } catch (e) {
    sec.append(h('p', { class: 'error' }, e.message));
    return;
  }
  if (!found) {
    sec.append(notAvailable('Fault injection'));
    return;
  }
  const [path, body] = found;
  const items = itemsOf(body);
  const out = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'fault-result' });
  const fail = (what, e) => { out.textContent = what + ': ' + e.message; out.className = 'result error'; };
  if (items.length) {
    const first = ['id', 'carrier', 'kind'];
    const rest = [...new Set(items.flatMap((x) => Object.keys(x)))].filter((k) => !first.includes(k) && k !== 'fired');
    sec.append(h('div', { class: 'scroll' }, table('Active fault rules', ['Id', 'Carrier', 'Kind', 'Settings', 'Fired', 'Remove'], items.map((f) => h('tr', {},
      h('th', { scope: 'row', class: 'mono' }, cell(f.id)), h('td', {}, cell(f.carrier || 'all')), h('td', {}, cell(f.kind)),
      h('td', {}, rest.filter((k) => f[k] !== undefined && f[k] !== null).map((k) => h('span', { class: 'kvs' }, k + ' ', cell(f[k]), ' '))),
      h('td', { class: 'num' }, cell(f.fired)),
      h('td', {}, f.id !== undefined ? h('button', {
        type: 'button', 'aria-label': 'Remove fault ' + f.id,
        onclick: async () => {
          try {
            await api(path + '/' + encodeURIComponent(f.id), { method: 'DELETE' });
            say('Fault ' + f.id + ' removed.');
            route(true);
          } catch (e) { fail('Not removed', e); }
        },
      }, 'Remove') : '–'))), { 'data-testid': 'faults-table' })));
  } else {
    sec.append(h('p', { 'data-testid': 'no-faults' }, 'No fault rules are active.'));
  }
  const ta = h('textarea', { rows: 4, cols: 60, spellcheck: 'false', class: 'mono' },
    '{"carrier": "ctcc", "kind": "carrier_error", "error": "too_frequent", "count": 1}');
  const form = h('form', { class: 'stack' },
    field('New fault rule (JSON)', ta, 'kinds: latency, carrier_error, http, reset, truncate, timeout; scope with carrier, endpoint, method, account, card; limit with probability, count or a time window (see docs/admin-api.md)'),
    h('p', { class: 'buttons' },
      h('button', { type: 'submit' }, 'Add fault'),
      items.length ? h('button', { type: 'button', onclick: async () => {
        try { await api(path, { method: 'DELETE' }); say('All faults removed.'); route(true); } catch (e) { fail('Not cleared', e); }
      } }, 'Remove all faults') : null), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let body;
    try { body = JSON.parse(ta.value); } catch (err) { fail('Not JSON', err); return; }
    try {
      const r = await api(path, { method: 'POST', body });
      say('Fault ' + (r && r.id ? r.id + ' ' : '') + 'added.');
      route(true);
    } catch (err) { fail('Refused', err); }
  });
  sec.append(form);
}

/** The newest request records: filters apply to the latest 1000 requests. */
async function latestRequests(base, filters) {
  const oldest = await api(base + '?limit=1');
  const first = itemsOf(oldest)[0];
  if (!first) return { items: [], total: 0, cap: oldest.cap };
  const newest = first.seq + (oldest.total || 1) - 1;
  const q = new URLSearchParams(filters);
  q.set('after', Math.max(0, newest - 1000));
  q.set('limit', 1000);
  const r = await api(base + '?' + q.toString());
  return { items: itemsOf(r).slice(-100).reverse(), total: oldest.total, cap: oldest.cap };
}

async function renderJournal(sec, params) {
  let found;
  try {
    found = await probe(JOURNAL_PATHS.map((p) => p + '?limit=1'));
  } catch (e) {
    sec.append(h('p', { class: 'error' }, e.message));
    return;
  }
  if (!found) {
    sec.append(notAvailable('The request journal'));
    return;
  }
  const base = found[0].split('?')[0];
  const filters = {};
  for (const k of ['carrier', 'path', 'status']) if (params.get(k)) filters[k] = params.get(k);
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter requests' },
    field('Carrier', select('carrier', [['', 'All carriers'], ...CARRIERS.map((c) => [c, CARRIER_NAMES[c]])], filters.carrier || '')),
    field('Path contains', h('input', { name: 'path', value: filters.path || '', size: 18 })),
    field('Status', h('input', { name: 'status', value: filters.status || '', size: 4, inputmode: 'numeric' })),
    h('p', { class: 'field buttons' }, h('button', { type: 'submit' }, 'Show'),
      h('button', { type: 'button', onclick: async () => { try { await api(base, { method: 'DELETE' }); say('Journal cleared.'); route(true); } catch (e) { say('Not cleared: ' + e.message); } } }, 'Clear journal')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v.trim());
    location.hash = '#/faults?' + q.toString();
  });
  sec.append(form);
  let r;
  try {
    r = await latestRequests(base, filters);
  } catch (e) {
    sec.append(h('p', { class: 'error', role: 'alert' }, e.message));
    return;
  }
  sec.append(h('p', {}, `${r.total} request${r.total === 1 ? '' : 's'} recorded (the journal keeps ${r.cap}); newest first, filters apply to the latest 1000.`));
  if (!r.items.length) {
    sec.append(h('p', {}, 'No carrier-API requests match.'));
    return;
  }
  sec.append(h('ol', { class: 'journal', 'data-testid': 'journal' }, r.items.map(requestItem)));
}

function prettyBody(b) {
  try {
    return JSON.stringify(JSON.parse(b), null, 2);
  } catch (_) {
    return b;
  }
}

function requestItem(r) {
  const status = r.status === 0 ? 'reset' : r.status;
  return h('li', {}, h('details', {},
    h('summary', {},
      h('time', { datetime: r.sim_time || r.time }, when(r.sim_time || r.time)), ' ',
      h('strong', {}, r.method), ' ', h('span', { class: 'mono' }, r.path), ' → ',
      h('span', { class: 'status-' + String(r.status).charAt(0) }, status),
      r.carrier ? ' · ' + r.carrier : '', r.account ? ' · ' + r.account : '',
      r.latency_ms !== undefined ? ' · ' + Number(r.latency_ms).toFixed(1) + ' ms' : '',
      r.faults && r.faults.length ? h('span', { class: 'state state-suspended' }, ' fault ' + r.faults.join(', ')) : null),
    h('div', { class: 'req' },
      (r.params || []).length ? table('Parameters (secrets masked)', ['Name', 'Value'], r.params.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, v)))) : h('p', {}, 'No parameters.'),
      r.cards && r.cards.length ? h('p', {}, 'Cards: ', r.cards.map((c, i) => [i ? ', ' : '', h('a', { href: '#/card/' + c, class: 'mono' }, c)])) : null,
      h('p', {}, 'Response body:'),
      h('pre', {}, prettyBody(r.body || '')))));
}

// ------------------------------------------------------------------- boot

function boot() {
  document.getElementById('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    app.token = document.getElementById('token-input').value.trim();
    sessionStorage.setItem('carrierSimToken', app.token);
    e.target.hidden = true;
    refreshClock();
    if (!app.sse) streamEvents();
    route();
  });
  window.addEventListener('hashchange', () => route());
  if (!location.hash) history.replaceState(null, '', '#/fleet');
  startLive();
  route();
}

document.addEventListener('DOMContentLoaded', boot);
