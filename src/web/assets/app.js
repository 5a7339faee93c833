// carrier-sim dashboard: a hash-routed single page over the public admin
// API (/_sim/...). No framework, no build step; charts are inline SVG.
// Pages: #/overview, #/fleet?…, #/card/<iccid>, #/clock, #/faults.
'use strict';

// The admin API is the page's own /_sim: `/_sim` for the page at /_sim/ui,
// `/w/{id}/_sim` for a world's dashboard at /w/{id}/_sim/ui.
const API = location.pathname.replace(/\/ui(\/[^/]*)?$/, '');
const CARRIERS = ['cmcc', 'cucc', 'ctcc'];
const CARRIER_NAMES = { cmcc: 'China Mobile', cucc: 'China Unicom', ctcc: 'China Telecom' };
const CARRIER_NAMES_ZH = { cmcc: '中国移动', cucc: '中国联通', ctcc: '中国电信' };
const STATES = ['inventory', 'test_ready', 'activation_ready', 'active', 'suspended', 'pre_cancel', 'cancelled'];
const SVGNS = 'http://www.w3.org/2000/svg';
// Endpoints other builds may lack, tried in order.
const FAULT_PATHS = ['/faults'];
const JOURNAL_PATHS = ['/requests', '/journal'];

const app = {
  lang: 'en',
  clockGen: 0,
  token: sessionStorage.getItem('carrierSimToken') || '',
  clock: null,
  plans: null,
  accounts: null,
  page: null,
  timers: [],
  clockListeners: [],
  events: null,
};

// ------------------------------------------------------------ language

/** Interface language: the one chosen on the page (kept in localStorage),
 * else Chinese when the browser asks for it first, else English. */
function pickLanguage() {
  const kept = localStorage.getItem('carrierSimLang');
  if (kept === 'en' || kept === 'zh-CN') return kept;
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  return /^zh\b/i.test(wanted[0] || '') ? 'zh-CN' : 'en';
}

/** Translates an English interface string; `{0}`, `{1}` take the arguments. */
function t(en, ...args) {
  const s = (app.lang === 'zh-CN' && ZH[en]) || en;
  return args.length ? s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)])) : s;
}

/** Event types, card states, stop reasons and ledger kinds in words. */
const WORDS = {
  state_changed: ['state changed', '状态变更'], usage_threshold: ['usage threshold', '用量提醒'],
  pool_exhausted: ['pool used up', '流量池用尽'], balance_low: ['low balance', '余额不足'],
  balance_negative: ['balance below zero', '欠费'], charged: ['charged', '扣费'], top_up: ['top-up', '充值'],
  renewal: ['renewal', '续费'], rollover: ['new cycle', '新账期'], add_on_ordered: ['add-on ordered', '订购加油包'],
  sms_received: ['SMS received', '收到短信'], sms_sent: ['SMS sent', '发出短信'], session_start: ['online', '上线'],
  session_stop: ['offline', '下线'], imei_changed: ['IMEI changed', 'IMEI 变更'], edited: ['edited', '修改'],
  inventory: ['inventory', '库存'], test_ready: ['test ready', '可测试'], activation_ready: ['activation ready', '待激活'],
  active: ['active', '正常'], suspended: ['suspended', '停机'], pre_cancel: ['pre-cancel', '预销户'], cancelled: ['cancelled', '已销户'],
  over_quota: ['over quota', '超出套餐'], manual: ['manual', '人工停机'], arrears: ['arrears', '欠费'], expired: ['expired', '已到期'],
  data_cut: ['data cut', '断网'], activation: ['activation', '激活'], cancellation: ['cancellation', '销户'],
  transition: ['transition', '状态流转'], forced: ['forced', '强制'],
  opening: ['opening balance', '期初余额'], monthly_fee: ['monthly fee', '月租'], overage: ['overage', '超量费'],
  keep_number_fee: ['keep-number fee', '保号费'], add_on: ['add-on', '加油包'], adjustment: ['adjustment', '调整'],
};

function carrierName(c) {
  return (app.lang === 'zh-CN' ? CARRIER_NAMES_ZH : CARRIER_NAMES)[c] || c;
}

/** A code (event type, state, reason, ledger kind) in the page's language. */
function word(code) {
  const w = WORDS[code];
  if (w) return app.lang === 'zh-CN' ? w[1] : w[0];
  return String(code).replace(/_/g, ' ');
}

function eventTypeName(type) {
  return word(type);
}

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
  // X-Requested-With: body-less POSTs (restore a snapshot) pass the admin
  // plane's cross-site guard with it.
  const headers = { Accept: 'application/json', 'X-Requested-With': 'carrier-sim-dashboard' };
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
  return '¥' + (fen / 100).toFixed(2);
}

/** "2026-11-24T10:00:00+08:00" → "2026-11-24 10:00:00" (kept in Shanghai time). */
function when(ts, withSeconds = true) {
  if (!ts) return '–';
  const s = ts.replace('T', ' ').replace(/(\.\d+)?(\+08:00|Z)$/, '');
  return withSeconds ? s : s.slice(0, 16);
}

function day(ts) {
  return ts ? ts.slice(0, 10) : '–';
}

function stateBadge(state, reasons) {
  return h('span', { class: 'state state-' + state },
    word(state),
    (reasons || []).length ? h('span', { class: 'reasons' }, ' (' + reasons.map(word).join(', ') + ')') : null);
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
      'aria-label': label || t('Data used'),
      'aria-valuemin': 0,
      'aria-valuemax': allowance || 0,
      'aria-valuenow': Math.min(used, allowance || used),
      'aria-valuetext': text + (over ? ' ' + t('(over the allowance)') : ''),
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
  return h('p', { class: 'na', 'data-testid': 'not-available' }, t('{0}: not available in this build of carrier-sim.', what));
}

/** A table; a heading given as [text, class] gets that class (e.g. `opt`,
 * a column phones leave out). */
function table(caption, head, rows, attrs = {}) {
  return h('table', attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c) => (Array.isArray(c) ? h('th', { scope: 'col', class: c[1] }, c[0]) : h('th', { scope: 'col' }, c))))),
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

/** Axis ticks for 0..max: three values, whole numbers when `integer` (so a
 * count of 1 reads 0, 1 and not 0, 1, 1). Returns [top, ticks]. */
function axisTicks(max, integer) {
  if (!integer) return [max, [0, max / 2, max]];
  const top = Math.max(1, Math.ceil(max));
  if (top === 1) return [1, [0, 1]];
  const even = top % 2 === 0 ? top : top + 1;
  return [even, [0, even / 2, even]];
}

/** Vertical bar chart: data = [{label, value, title}]. `opts.integer` for counts. */
function barChart(title, data, fmt, opts = {}) {
  const W = opts.width || 640, H = opts.height || 180, padL = 76, padB = 34, padT = 14;
  const [max, ticks] = axisTicks(Math.max(opts.integer ? 1 : 1e-9, ...data.map((d) => d.value)), opts.integer);
  const bw = data.length ? Math.min(90, (W - padL - 8) / data.length) : 0;
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(h('svg:title', {}, title));
  for (const v of ticks) {
    const y = H - padB - (v / max) * (H - padB - padT);
    svg.append(h('svg:line', { x1: padL, x2: W, y1: y, y2: y, class: 'grid' }));
    svg.append(h('svg:text', { x: padL - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' }, fmt(v)));
  }
  const every = Math.max(1, Math.ceil(data.length / 12));
  data.forEach((d, i) => {
    const bh = (d.value / max) * (H - padB - padT);
    const x = padL + i * bw;
    const r = h('svg:rect', { x: x + 1, y: H - padB - bh, width: Math.max(1, bw - 2), height: bh, class: 'barv' + (d.cls ? ' ' + d.cls : ''), 'data-value': d.value });
    r.append(h('svg:title', {}, (d.title || d.label) + ': ' + fmt(d.value)));
    svg.append(r);
    if (i % every === 0) svg.append(h('svg:text', { x: x + bw / 2, y: H - padB + 14, 'text-anchor': 'middle', class: 'axis' }, d.label));
  });
  return h('figure', { class: 'figure' }, svg, h('figcaption', {}, title));
}

/** Line of cumulative values over the cycle, with an optional allowance
 * line; its label sits inside the chart (below the line when the line is
 * at the top). */
function cumulativeChart(title, points, allowance) {
  const W = 640, H = 190, padL = 76, padB = 34, padT = 18;
  const max = Math.max(1, allowance || 0, ...points.map((p) => p.value));
  const n = Math.max(1, points.length - 1);
  const x = (i) => padL + (i / n) * (W - padL - 12);
  const y = (v) => H - padB - (v / max) * (H - padB - padT);
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(h('svg:title', {}, title));
  for (const f of [0, 0.5, 1]) {
    svg.append(h('svg:line', { x1: padL, x2: W, y1: y(max * f), y2: y(max * f), class: 'grid' }));
    svg.append(h('svg:text', { x: padL - 4, y: y(max * f) + 4, 'text-anchor': 'end', class: 'axis' }, bytes(max * f)));
  }
  if (allowance) {
    const ay = y(allowance);
    svg.append(h('svg:line', { x1: padL, x2: W, y1: ay, y2: ay, class: 'limit' }));
    svg.append(h('svg:text', { x: W - 4, y: ay - 4 < 12 ? ay + 14 : ay - 4, 'text-anchor': 'end', class: 'axis', 'data-testid': 'allowance-label' }, t('allowance') + ' ' + bytes(allowance)));
  }
  if (points.length) {
    const d = points.map((p, i) => (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p.value).toFixed(1)).join(' ');
    svg.append(h('svg:path', { d, class: 'line' }));
    points.forEach((p, i) => {
      const c = h('svg:circle', { cx: x(i), cy: y(p.value), r: 3, class: 'dot', 'data-value': p.value });
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
      rect.append(h('svg:title', {}, r.label + ' ' + word(p.key) + ': ' + p.value));
      svg.append(rect);
      x += w;
    }
  });
  const legend = h('ul', { class: 'legend', 'aria-label': t('Legend') },
    keys.map((k) => h('li', {}, h('span', { class: 'swatch state-bg-' + k, 'aria-hidden': 'true' }), word(k))));
  return h('figure', { class: 'figure' }, svg, legend, h('figcaption', {}, title));
}

// ------------------------------------------------------------------ clock

function setClock(c) {
  app.clock = c;
  const el = document.getElementById('now');
  el.textContent = when(c.now);
  el.setAttribute('datetime', c.now);
  const m = document.getElementById('now-mode');
  m.textContent = c.mode === 'running' ? t('running ×{0}', c.speed) : t('frozen');
  m.className = 'badge ' + c.mode;
  for (const f of app.clockListeners) f(c);
}

/** Reads the clock. A reading sent before a clock change (freeze, run,
 * advance) finished is dropped, so an old "running" answer cannot overwrite
 * the time the change reported. */
async function refreshClock() {
  const gen = app.clockGen;
  try {
    const c = await api('/clock');
    if (gen === app.clockGen) setClock(c);
  } catch (e) {
    document.getElementById('now').textContent = t('unavailable');
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
  const name = PAGES[parts[0]] ? parts[0] : 'overview';
  for (const timer of app.timers) if (timer && timer.abort) timer.abort(); else clearInterval(timer);
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
    frag.append(h('p', { class: 'error' }, t('Could not load this page: {0}', e.message)));
  }
  if (seq !== routeSeq) return;
  main.replaceChildren(frag);
  main.dataset.page = name;
  // Which view is shown (tests wait on it after a navigation).
  main.dataset.hash = location.hash;
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
  root.append(h('h1', {}, t('Overview')));
  const [all, counts, totals] = await Promise.all([api('/cards?page_size=1'), stateCounts(), api('/cards/totals').catch(() => null)]);
  const rows = CARRIERS.map((c) => h('tr', {},
    h('th', { scope: 'row' }, carrierName(c) + ' (' + c + ')'),
    STATES.map((s) => h('td', { class: 'num', 'data-testid': `count-${c}-${s}` },
      counts[c + '/' + s] ? h('a', { href: `#/fleet?carrier=${c}&state=${s}` }, counts[c + '/' + s]) : '0')),
    h('td', { class: 'num' }, STATES.reduce((a, s) => a + counts[c + '/' + s], 0))));
  root.append(section(t('Cards per state and carrier'), 'ov-states',
    h('p', {}, h('strong', { 'data-testid': 'total-cards' }, all.total), ' ' + t('cards in the simulated world.')),
    h('div', { class: 'scroll' }, table(t('Cards per carrier and state'), [t('Carrier'), ...STATES.map(word), t('Total')], rows)),
    stackedChart(t('Cards per carrier, by state'), CARRIERS.map((c) => ({ label: c, parts: STATES.map((s) => ({ key: s, value: counts[c + '/' + s] })) })), STATES)));

  // Per-carrier totals, summed on the server in one pass (any fleet size).
  const dataSec = section(t('Totals per carrier (this cycle)'), 'ov-data');
  root.append(dataSec);
  if (totals) {
    const row = (label, x, key) => h('tr', { 'data-testid': 'totals-' + key },
      h('th', { scope: 'row' }, label), h('td', { class: 'num' }, x.cards), h('td', { class: 'num' }, bytes(x.data_bytes)),
      h('td', { class: 'num' }, x.sms), h('td', { class: 'num' }, Math.round(x.voice_seconds / 60)), h('td', { class: 'num' }, yuan(x.balance_fen)),
      h('td', { class: 'num' }, x.at_risk ? h('a', { href: '#/fleet?risk=any' + (key === 'all' ? '' : '&carrier=' + key) }, x.at_risk) : '0'));
    dataSec.append(h('div', { class: 'scroll' }, table(t('Totals per carrier'), [t('Carrier'), t('Cards'), t('Data used'), t('SMS'), t('Voice (min)'), t('Balance'), t('At risk')],
      [...CARRIERS.map((c) => row(carrierName(c) + ' (' + c + ')', totals.carriers[c], c)), row(t('All carriers'), totals.all, 'all')], { 'data-testid': 'totals-table' })));
    const chart = barChart(t('Data used this cycle per carrier'), CARRIERS.map((c) => ({ label: c, value: totals.carriers[c].data_bytes })), bytes, { height: 160 });
    chart.dataset.testid = 'carrier-data-chart';
    dataSec.append(chart);
  } else {
    dataSec.append(notAvailable(t('Per-carrier totals')));
  }
  const pools = (await api('/pools')).items;
  dataSec.append(h('div', { class: 'scroll' }, table(t('Pools'), [t('Pool'), t('Carrier'), t('Account'), t('Used / size')],
    pools.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.name + ' (' + p.id + ')'), h('td', {}, p.carrier), h('td', {}, p.account),
      h('td', {}, usageBar(p.used_bytes, p.data_bytes, t('Pool {0} used', p.id)), p.exhausted ? h('span', { class: 'state state-suspended' }, ' ' + t('exhausted')) : null))))));

  // At risk: near quota, low balance, expiring within 30 days.
  if (totals) {
    const riskSec = section(t('At risk'), 'ov-risk');
    riskSec.append(h('p', {}, t('Cards near their quota (90 % of the allowance or more), with a balance of ¥10.00 or less, or expiring within 30 days; cancelled cards are left out.')));
    const lists = await Promise.all(Object.keys(RISK_NAMES).map((r) => api(`/cards?risk=${r}&sort=${r === 'near_quota' ? 'usage' : r === 'low_balance' ? 'balance' : 'expires'}${r === 'near_quota' ? '&order=desc' : ''}&page_size=5`).then((x) => [r, x])));
    const grid = h('div', { class: 'grid' });
    for (const [r, x] of lists) {
      const what = (c) => (r === 'near_quota' ? usageBar(c.usage.data_bytes, c.allowance_bytes) : r === 'low_balance' ? yuan(c.balance_fen) : day(c.expires));
      grid.append(h('div', { 'data-testid': 'risk-' + r },
        h('h3', {}, riskWord(r) + ' (' + x.total + ')'),
        x.items.length ? h('ul', { class: 'risk-list' }, x.items.map((c) => h('li', {}, h('a', { href: '#/card/' + c.iccid, class: 'mono' }, c.iccid), ' ', stateBadge(c.state, c.reasons), ' ', what(c)))) : h('p', {}, t('None.')),
        x.total > x.items.length ? h('p', {}, h('a', { href: '#/fleet?risk=' + r }, t('All {0} in the fleet', x.total))) : null));
    }
    riskSec.append(grid);
    root.append(riskSec);
  }

  // Events per hour over the last 24 simulated hours.
  const evSec = section(t('Events per hour (last 24 simulated hours)'), 'ov-events');
  root.append(evSec);
  const now = Date.parse((app.clock || (await api('/clock'))).now);
  const from = new Date(now - 24 * 3600e3);
  const ev = await api('/events?limit=10000&from=' + encodeURIComponent(shanghaiIso(from)));
  // 24 hourly buckets covering [now − 24 h, now]: an event at the current
  // instant belongs to the last one.
  const buckets = Array.from({ length: 24 }, (_, i) => ({ label: '', value: 0, start: now - (24 - i) * 3600e3 }));
  const inWindow = [];
  for (const e of ev.items) {
    const at = Date.parse(e.time);
    if (at < now - 24 * 3600e3 || at > now) continue;
    buckets[Math.min(23, Math.floor((at - (now - 24 * 3600e3)) / 3600e3))].value += 1;
    inWindow.push(e);
  }
  for (const b of buckets) {
    b.label = shanghaiIso(new Date(b.start)).slice(11, 13) + 'h';
    b.title = when(shanghaiIso(new Date(b.start)), false);
  }
  const perHour = barChart(t('Events per hour'), buckets, (v) => String(v), { height: 160, integer: true });
  perHour.dataset.testid = 'events-per-hour';
  evSec.append(perHour);
  const types = {};
  for (const e of inWindow) types[e.type] = (types[e.type] || 0) + 1;
  evSec.append(h('p', { 'data-testid': 'events-count' }, t('{0} events', inWindow.length) + (ev.items.length >= 10000 ? ' ' + t('(first 10000)') : '') + ': ' +
    (Object.entries(types).map(([k, v]) => eventTypeName(k) + ' ' + v).join(', ') || t('none'))));
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

const FLEET_KEYS = ['carrier', 'account', 'state', 'reason', 'plan', 'pool', 'tag', 'risk', 'q', 'sort', 'order', 'page', 'page_size'];
/** Filters the bulk endpoint's selector understands (risk and sort are list-only). */
const SELECTOR_KEYS = ['carrier', 'account', 'state', 'reason', 'plan', 'pool', 'tag', 'q'];
const REASONS = ['over_quota', 'manual', 'arrears', 'expired', 'data_cut'];
const RISK_NAMES = { near_quota: ['near quota', '接近套餐上限'], low_balance: ['low balance', '余额不足'], expiring: ['expiring within 30 days', '30 天内到期'] };

function riskWord(r) {
  const w = RISK_NAMES[r];
  return w ? w[app.lang === 'zh-CN' ? 1 : 0] : r;
}

async function loadPools() {
  if (!app.pools) app.pools = (await api('/pools')).items;
  return app.pools;
}

/** Tags on the fleet's cards (offered in the tag box); optional. */
async function loadTags() {
  try {
    return (await api('/tags')).items;
  } catch (_) {
    return [];
  }
}

/** Saves a response body as a file (the admin token, if any, goes in the header). */
async function download(path, name) {
  const headers = app.token ? { Authorization: 'Bearer ' + app.token } : {};
  const res = await fetch(API + path, { headers });
  if (!res.ok) throw new ApiError(res.status, (await res.text()) || res.statusText);
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function pageFleet(root, _rest, params) {
  root.append(h('h1', {}, t('Fleet')));
  const [accounts, plans, pools, tags] = await Promise.all([loadAccounts(), loadPlans(), loadPools(), loadTags()]);
  const v = (k) => params.get(k) || '';
  const tagList = h('datalist', { id: 'tag-list' }, tags.map((x) => h('option', { value: x.tag }, `${x.tag} (${x.cards})`)));
  const form = h('form', { role: 'search', class: 'filters', 'aria-label': t('Filter cards') },
    field(t('Carrier'), select('carrier', [['', t('All carriers')], ...CARRIERS.map((c) => [c, carrierName(c)])], v('carrier'))),
    field(t('Account'), select('account', [['', t('All accounts')], ...accounts.map((a) => [a.id, a.id])], v('account'))),
    field(t('State'), select('state', [['', t('All states')], ...STATES.map((s) => [s, word(s)])], v('state'))),
    field(t('Reason'), select('reason', [['', t('Any reason')], ...REASONS.map((r) => [r, word(r)])], v('reason'))),
    field(t('Plan'), select('plan', [['', t('All plans')], ...Object.values(plans).map((p) => [p.id, p.name + ' (' + p.id + ')'])], v('plan'))),
    field(t('Pool'), select('pool', [['', t('Any pool')], ...pools.map((p) => [p.id, p.name + ' (' + p.id + ')'])], v('pool'))),
    field(t('Tag'), h('input', { name: 'tag', value: v('tag'), size: 12, list: 'tag-list', autocomplete: 'off' })), tagList,
    field(t('At risk'), select('risk', [['', t('Any card')], ['any', t('At risk (any)')], ...Object.keys(RISK_NAMES).map((r) => [r, riskWord(r)])], v('risk'))),
    field(t('ICCID, MSISDN or IMSI'), h('input', { name: 'q', type: 'search', value: v('q'), size: 22 })),
    field(t('Sort by'), select('sort', [['', 'ICCID'], ['usage', t('Data used')], ['balance', t('Balance')], ['expires', t('Expiry')]], v('sort'))),
    field(t('Order'), select('order', [['', t('Ascending')], ['desc', t('Descending')]], v('order'))),
    field(t('Per page'), select('page_size', ['25', '50', '100', '250'].map((n) => [n, n]), v('page_size') || '50')),
    h('p', { class: 'field buttons' }, h('button', { type: 'submit' }, t('Filter')), h('button', { type: 'reset', onclick: (e) => { e.preventDefault(); location.hash = '#/fleet'; } }, t('Clear'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, val] of new FormData(form)) if (val && val.trim()) q.set(k, val.trim());
    location.hash = '#/fleet?' + q.toString();
  });
  // On a phone the filters fold away (open them with "Filters") so the
  // table is on the first screen.
  const narrow = window.matchMedia('(max-width: 700px)').matches;
  root.append(narrow ? h('details', { class: 'filter-box' }, h('summary', {}, t('Filters')), form) : form);

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
  const selected = new Set();
  let allMatching = false;
  const countOut = h('span', { 'data-testid': 'selection-count' });
  const bulkOut = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'bulk-result' });
  const boxes = [];
  const paintSelection = () => {
    countOut.textContent = allMatching ? t('All {0} matching cards selected', r.total) : t('{0} selected', selected.size);
    for (const b of boxes) {
      b.checked = allMatching || selected.has(b.value);
      b.closest('tr').classList.toggle('selected', b.checked);
    }
    selectPage.checked = allMatching || (boxes.length > 0 && boxes.every((b) => selected.has(b.value)));
    bulkBar.hidden = !allMatching && selected.size === 0;
  };
  const rows = r.items.map((c) => {
    const box = h('input', { type: 'checkbox', value: c.iccid, 'aria-label': t('Select {0}', c.iccid) });
    box.addEventListener('change', () => {
      allMatching = false;
      if (box.checked) selected.add(c.iccid); else selected.delete(c.iccid);
      paintSelection();
    });
    boxes.push(box);
    const allowance = c.allowance_bytes !== undefined ? c.allowance_bytes : allowanceOf(c);
    return h('tr', { 'data-iccid': c.iccid },
      h('td', { class: 'pick' }, box),
      h('th', { scope: 'row' }, h('a', { href: '#/card/' + c.iccid, class: 'mono' }, c.iccid)),
      h('td', {}, stateBadge(c.state, c.reasons)),
      h('td', {}, usageBar(c.usage.data_bytes, allowance)),
      h('td', { class: 'num' }, yuan(c.balance_fen)),
      h('td', { class: 'nowrap' }, day(c.expires)),
      h('td', { class: 'opt' }, (c.risks || []).map((x) => h('span', { class: 'risk' }, riskWord(x))).reduce((acc, el, i) => (i ? [...acc, ', ', el] : [el]), []), (c.risks || []).length ? null : '–'),
      h('td', { class: 'mono opt' }, c.msisdn),
      h('td', { class: 'opt' }, c.carrier),
      h('td', { class: 'nowrap opt' }, c.account),
      h('td', { class: 'opt' }, (app.plans[c.plan] || {}).name || c.plan, c.pool ? h('small', { class: 'block' }, t('pool {0}', c.pool)) : null),
      h('td', { class: 'opt', 'data-testid': 'tags' }, (c.tags || []).join(', ') || '–'));
  });
  const selectPage = h('input', { type: 'checkbox', 'aria-label': t('Select every card on this page') });
  selectPage.addEventListener('change', () => {
    allMatching = false;
    for (const b of boxes) if (selectPage.checked) selected.add(b.value); else selected.delete(b.value);
    paintSelection();
  });
  const go = (p) => {
    const n = new URLSearchParams(q);
    n.set('page', p);
    location.hash = '#/fleet?' + n.toString();
  };
  const jump = h('input', { type: 'number', min: 1, max: pages, value: r.page, size: 4, name: 'page', inputmode: 'numeric' });
  const jumpForm = h('form', { class: 'inline' }, field(t('Jump to page'), jump), h('button', { type: 'submit' }, t('Go')));
  jumpForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = Math.min(pages, Math.max(1, Math.round(Number(jump.value) || 1)));
    go(n);
  });
  const pager = h('nav', { class: 'pager', 'aria-label': t('Pages of cards') },
    h('button', { type: 'button', disabled: r.page <= 1, onclick: () => go(r.page - 1) }, t('‹ Previous')),
    h('span', { 'data-testid': 'fleet-range' }, r.total ? t('Cards {0}–{1} of {2}', (r.page - 1) * r.page_size + 1, (r.page - 1) * r.page_size + r.items.length, r.total) : t('No cards match'), ' · ' + t('page {0} of {1}', r.page, pages)),
    h('button', { type: 'button', disabled: r.page >= pages, onclick: () => go(r.page + 1) }, t('Next ›')),
    jumpForm);

  // Bulk actions go through POST /_sim/cards/bulk: the selected ICCIDs, or
  // the list's own filters when every matching card is selected.
  const selectorNow = async () => {
    if (!allMatching) return { iccids: [...selected] };
    if (!q.get('risk')) {
      const sel = {};
      for (const k of SELECTOR_KEYS) if (q.get(k)) sel[k] = q.get(k);
      if (!Object.keys(sel).length) sel.all = true;
      return sel;
    }
    // The bulk selector has no risk filter: collect the matching ICCIDs.
    const ids = [];
    const base = new URLSearchParams(q);
    base.set('page_size', '1000');
    for (let p = 1; p <= Math.ceil(r.total / 1000); p++) {
      base.set('page', p);
      ids.push(...(await api('/cards?' + base.toString())).items.map((c) => c.iccid));
    }
    return { iccids: ids };
  };
  const bulk = async (label, body) => {
    bulkOut.className = 'result';
    bulkOut.textContent = label + '…';
    try {
      const res = await api('/cards/bulk', { method: 'POST', body: { selector: await selectorNow(), ...body } });
      bulkOut.textContent = t('{0}: {1} matched, {2} changed, {3} refused.', label, res.matched, res.changed, res.failed.length) +
        (res.failed.length ? ' ' + t('First refusal: {0} — {1}', res.failed[0].iccid, res.failed[0].error) : '');
      say(bulkOut.textContent);
      const keep = bulkOut.textContent;
      await route(true);
      const again = document.querySelector('[data-testid=bulk-result]');
      if (again) again.textContent = keep;
    } catch (e) {
      bulkOut.textContent = t('{0} refused: {1}', label, e.message);
      bulkOut.className = 'result error';
    }
  };
  const amount = h('input', { type: 'number', min: '0.01', step: '0.01', value: '10.00', inputmode: 'decimal', size: 6 });
  const usage = h('input', { type: 'text', value: '100MB', size: 7 });
  const setUsage = h('input', { type: 'text', value: '0', size: 7 });
  const small = (label, input, submit, make) => {
    const f = h('form', { class: 'inline' }, field(label, input), h('button', { type: 'submit' }, submit));
    f.addEventListener('submit', (e) => { e.preventDefault(); const b = make(input.value.trim()); if (b) bulk(submit, b); });
    return f;
  };
  const bulkBar = h('section', { class: 'panel bulk', 'aria-labelledby': 'fleet-bulk', hidden: true, 'data-testid': 'bulk-bar' },
    h('h2', { id: 'fleet-bulk' }, t('Selected cards')),
    h('p', {}, countOut, ' ', r.total > r.items.length ? h('button', { type: 'button', onclick: () => { allMatching = true; paintSelection(); } }, t('Select all {0} matching', r.total)) : null,
      ' ', h('button', { type: 'button', onclick: () => { allMatching = false; selected.clear(); paintSelection(); } }, t('Clear selection'))),
    h('div', { class: 'buttons', role: 'group', 'aria-label': t('Actions on the selected cards') },
      h('button', { type: 'button', onclick: () => bulk(t('Stop'), { action: 'stop' }) }, t('Stop')),
      h('button', { type: 'button', onclick: () => bulk(t('Resume'), { action: 'resume' }) }, t('Resume'))),
    h('div', { class: 'toolbar' },
      small(t('Top-up amount (yuan)'), amount, t('Top up'), (x) => ({ action: 'top_up', amount_fen: Math.round(Number(x) * 100) })),
      small(t('Use data (adds to this cycle)'), usage, t('Use data'), (x) => ({ action: 'use_data', bytes: /^\d+$/.test(x) ? Number(x) : x.replace(/\s+/g, '') })),
      small(t('Set data used this cycle'), setUsage, t('Set usage'), (x) => ({ patch: { usage: { data_bytes: /^\d+$/.test(x) ? Number(x) : x.replace(/\s+/g, '') } } }))),
    bulkOut);

  const csvOut = h('span', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const exportQ = new URLSearchParams(q);
  exportQ.delete('page');
  exportQ.delete('page_size');
  const tools = h('div', { class: 'toolbar' },
    h('button', { type: 'button', 'data-testid': 'export-csv', onclick: async () => {
      try {
        await download('/cards/export.csv?' + exportQ.toString(), 'cards.csv');
        csvOut.textContent = t('Exported {0} cards as CSV.', r.total);
      } catch (e) { csvOut.textContent = t('Export failed: {0}', e.message); }
    } }, t('Export CSV ({0} cards)', r.total)), csvOut);

  root.append(tools, bulkBar, h('div', { class: 'scroll' },
    table(t('Cards ({0})', r.total), [selectPage, 'ICCID', t('State'), t('Data used / allowance'), t('Balance'), t('Expires'),
      [t('At risk'), 'opt'], ['MSISDN', 'opt'], [t('Carrier'), 'opt'], [t('Account'), 'opt'], [t('Plan'), 'opt'], [t('Tags'), 'opt']], rows, { class: 'fleet', 'data-testid': 'fleet-table' })),
    pager);
  paintSelection();
  say(t('{0} cards; page {1} of {2}.', r.total, r.page, pages));
}

// ------------------------------------------------------------------- card

async function pageCard(root, rest) {
  const id = rest[0];
  await loadPlans();
  let card;
  try {
    card = await api('/cards/' + encodeURIComponent(id));
  } catch (e) {
    root.append(h('h1', {}, t('Card {0}', id)), h('p', { class: 'error' }, e.message), h('p', {}, h('a', { href: '#/fleet' }, t('Back to the fleet'))));
    return;
  }
  const top = h('div', {});
  const bottom = h('div', {});
  const paint = async (c) => {
    const parts = await cardTop(c);
    top.replaceChildren(...parts);
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
          say(t('Could not re-read the card: {0}', e.message));
        }
      } while (again);
    })();
    try { await busy; } finally { busy = null; }
  };
  await paint(card);
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/fleet' }, t('Fleet')), ' › ', card.iccid),
    h('h1', {}, t('Card') + ' ', h('span', { class: 'mono' }, card.iccid)),
    top,
    h('div', { class: 'grid two' }, actionsPanel(card, refresh), handsetPanel(card, refresh)),
    scenarioPanel(card, refresh),
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
  const lead = h('p', { class: 'lead' }, t('State') + ': ', h('strong', { 'data-testid': 'card-state' }, stateBadge(card.state, card.reasons)),
    ' · ', card.online ? t('online') : t('offline'), ' · ' + t('balance') + ' ', h('strong', { 'data-testid': 'card-balance' }, yuan(card.balance_fen)));
  const grid = h('div', { class: 'grid' });
  const plan = app.plans[card.plan];
  grid.append(section(t('Identity'), 'c-id', h('dl', { class: 'kv' },
    kv('ICCID', card.iccid), kv('MSISDN', card.msisdn), kv('IMSI', card.imsi), kv('IMEI', card.imei),
    kv(t('Carrier'), carrierName(card.carrier) + ' (' + card.carrier + ')'), kv(t('Account'), card.account),
    kv(t('Opened'), when(card.opened)), kv(t('Activated'), when(card.activated)), kv(t('Expires'), when(card.expires)),
    card.cancel_at ? kv(t('Cancels at'), when(card.cancel_at)) : null,
    kv(t('Real-name'), card.real_name ? t('yes') : t('no')), kv(t('Tags'), (card.tags || []).join(', ') || '–'),
    kv(t('Session'), card.session.online ? `${card.session.rat || ''} ${card.session.apn || ''} ${card.session.ip || ''} ${card.session.city || ''}` : t('offline')))));

  const allowance = allowanceOf(card);
  grid.append(section(t('Plan'), 'c-plan', h('dl', { class: 'kv' },
    kv(t('Plan'), plan ? plan.name + ' (' + plan.id + ')' : card.plan),
    plan ? kv(t('Allowance'), t('{0} data, {1} SMS per month', bytes(plan.data_bytes), plan.sms)) : null,
    plan ? kv(t('Fees'), t('{0}/month, overage {1}/MB, renewal {2} for {3} months', yuan(plan.monthly_fee_fen), yuan(plan.overage_fen_per_mb), yuan(plan.renewal_fee_fen), plan.term_months)) : null,
    kv(t('Add-ons'), (card.addons || []).map((a) => a.name + ' ' + bytes(a.data_bytes)).join(', ') || t('none')),
    kv(t('Auto-stop at quota'), card.auto_stop ? t('yes') : t('no')),
    card.threshold ? kv(t('Threshold'), bytes(card.threshold.quota_bytes) + (card.threshold.reached ? ' ' + t('(reached)') : '')) : null,
    card.speed_limit ? kv(t('Speed limit'), String(card.speed_limit)) : null,
    card.pending_renewal_months ? kv(t('Pending renewal'), t('{0} months', card.pending_renewal_months)) : null,
    kv(t('Cycle'), card.cycle))));

  const poolSec = section(t('Pool'), 'c-pool');
  if (card.pool) {
    const pools = (await api('/pools')).items;
    const p = pools.find((x) => x.id === card.pool);
    poolSec.append(p ? h('div', {}, h('p', {}, p.name + ' (' + p.id + ')' + (p.exhausted ? ' — ' + t('exhausted') : '')), usageBar(p.used_bytes, p.data_bytes, t('Pool used'))) : h('p', {}, card.pool));
  } else {
    poolSec.append(h('p', {}, t('Not in a pool.')));
  }
  grid.append(poolSec);
  return [lead, grid, section(t('Usage'), 'c-usage', usageChartBlock(card, allowance))];
}

/** The card's ledger and event timeline. */
function cardBottom(card) {
  const ledger = (card.ledger || []).slice().reverse();
  const events = (card.events || []).slice().reverse();
  return [
    section(t('Ledger'), 'c-ledger',
      h('p', {}, t('Opening balance {0}.', yuan(card.opening_balance_fen))),
      ledger.length ? h('div', { class: 'scroll' }, table(t('Ledger, newest first'), [t('Time'), t('Kind'), t('Amount'), t('Balance'), t('Note')],
        ledger.map((e) => h('tr', {}, h('td', {}, when(e.time)), h('td', {}, word(e.kind)),
          h('td', { class: 'num' + (e.amount_fen < 0 ? ' neg' : '') }, yuan(e.amount_fen)), h('td', { class: 'num' }, yuan(e.balance_fen)), h('td', {}, e.note))))) : h('p', {}, t('No ledger entries yet.'))),
    section(t('Event timeline'), 'c-events',
      events.length ? h('ol', { class: 'timeline', 'data-testid': 'card-events', tabindex: 0, 'aria-label': t('Events of this card, newest first') }, events.slice(0, 200).map((e) => eventItem(e))) : h('p', {}, t('No events yet.'))),
  ];
}

function kv(k, v) {
  return [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '–' : v)];
}

/** Edited fields in words. */
const FIELD_WORDS = {
  balance_fen: ['balance', '余额'], 'usage.data_bytes': ['data used', '已用流量'], 'usage.sms': ['SMS used', '已用短信'],
  'usage.voice_seconds': ['voice used', '已用语音'], expires: ['expiry', '到期时间'], state: ['state', '状态'], tags: ['tags', '标签'],
  imei: ['IMEI', 'IMEI'], plan: ['plan', '套餐'], auto_stop: ['auto-stop', '超量自动停机'], real_name: ['real-name', '实名'],
};

/** An edited value in words: money in yuan, sizes in bytes units, times in Shanghai time. */
function editedValue(field, v) {
  if (v === '' || v === undefined || v === null) return '–';
  if (field === 'balance_fen' && /^-?\d+$/.test(v)) return yuan(Number(v));
  if (field === 'usage.data_bytes' && /^\d+$/.test(v)) return bytes(Number(v));
  if (field === 'expires') return when(v, false);
  return v;
}

/** One event in words (`over quota`, `¥-19.05`), never raw field names. */
function eventText(e) {
  const reasons = (list) => list.map(word).join(', ');
  const zh = app.lang === 'zh-CN';
  switch (e.type) {
    case 'state_changed':
      return `${word(e.from)} → ${word(e.to)}` + (e.reasons && e.reasons.length ? ` (${reasons(e.reasons)})` : e.reason ? ` (${word(e.reason)})` : '') + (e.forced ? ' · ' + word('forced') : '');
    case 'sms_sent':
      return t('to {0}: {1}', e.to, e.text);
    case 'sms_received':
      return t('from {0}: {1}', e.from, e.text);
    case 'charged':
      return `${yuan(Math.abs(e.amount_fen))} ${word(e.kind || '')}, ${t('balance')} ${yuan(e.balance_fen)}`;
    case 'top_up':
      return `${yuan(e.amount_fen)}, ${t('balance')} ${yuan(e.balance_fen)}`;
    case 'balance_low':
    case 'balance_negative':
      return `${t('balance')} ${yuan(e.balance_fen)}`;
    case 'usage_threshold':
      return t('{0}% of the allowance: {1} of {2}', e.percent, bytes(e.used_bytes), bytes(e.allowance_bytes));
    case 'pool_exhausted':
      return t('pool {0}', e.pool);
    case 'renewal':
      return t('{0} months from {1}', e.months, when(e.effective, false)) + (e.expires ? ', ' + t('expires {0}', when(e.expires, false)) : '');
    case 'rollover':
      return t('cycle {0}', e.cycle);
    case 'add_on_ordered':
      return `${e.name} ${bytes(e.data_bytes)}, ${t('from {0}', when(e.effective, false))}`;
    case 'session_start':
      return [e.rat, e.apn, e.ip].filter(Boolean).join(' · ');
    case 'session_stop':
      return '';
    case 'imei_changed':
      return `${e.from || '–'} → ${e.to}`;
    case 'edited': {
      const f = FIELD_WORDS[e.field];
      const name = f ? f[zh ? 1 : 0] : String(e.field).replace(/_/g, ' ');
      return `${name}: ${editedValue(e.field, e.from)} → ${editedValue(e.field, e.to)}` + (e.forced ? ' · ' + word('forced') : '') + (e.by ? ' · ' + t('by {0}', e.by) : '');
    }
    default: {
      const skip = new Set(['seq', 'time', 'iccid', 'account', 'type']);
      return Object.entries(e).filter(([k]) => !skip.has(k))
        .map(([k, v]) => k.replace(/_fen$|_bytes$/, '').replace(/_/g, ' ') + ' ' + (k.endsWith('_fen') ? yuan(v) : k.endsWith('bytes') ? bytes(v) : typeof v === 'object' ? JSON.stringify(v) : v)).join(', ');
    }
  }
}

function eventItem(e, withCard) {
  return h('li', { class: 'ev ev-' + e.type, 'data-type': e.type, 'data-iccid': e.iccid || null },
    h('time', { datetime: e.time }, when(e.time)), ' ',
    withCard && e.iccid ? [h('a', { href: '#/card/' + e.iccid, class: 'mono' }, e.iccid), ' '] : null,
    h('strong', {}, eventTypeName(e.type)), ' ',
    h('span', {}, eventText(e)));
}

/** 'YYYY-MM-DD' ± n days. */
function addDays(date, n) {
  return new Date(Date.parse(date + 'T00:00:00Z') + n * 86400e3).toISOString().slice(0, 10);
}

/** Today in simulated Shanghai time ('YYYY-MM-DD'), when the clock is known. */
function simToday() {
  return app.clock ? app.clock.now.slice(0, 10) : null;
}

/** The cumulative line over the cycle: it starts at the usage the card had
 * before any recorded day (the fixture's opening usage, or usage set by an
 * edit), then adds each day up to today, so its last point is the meter. */
function cumulativePoints(card) {
  const cyc = card.cycle ? card.cycle.slice(0, 4) + '-' + card.cycle.slice(4, 6) : '';
  const inCycle = (card.daily_usage || []).filter((d) => d.date.startsWith(cyc));
  const recorded = inCycle.reduce((a, d) => a + d.data_bytes, 0);
  const opening = Math.max(0, card.usage.data_bytes - recorded);
  const byDate = Object.fromEntries(inCycle.map((d) => [d.date, d.data_bytes]));
  const today = simToday();
  const lastRecorded = inCycle.length ? Number(inCycle[inCycle.length - 1].date.slice(8, 10)) : 1;
  const last = today && today.startsWith(cyc) ? Math.max(lastRecorded, Number(today.slice(8, 10))) : lastRecorded;
  let sum = opening;
  const pts = [{ label: t('start'), value: opening }];
  for (let d = 1; d <= last; d++) {
    sum += byDate[cyc + '-' + String(d).padStart(2, '0')] || 0;
    pts.push({ label: String(d), value: sum });
  }
  return { cyc, opening, pts };
}

/** Data per day for the last 31 days up to today, days without use as zero. */
function dailyBars(card) {
  const days = card.daily_usage || [];
  const byDate = Object.fromEntries(days.map((d) => [d.date, d]));
  const end = simToday() || (days.length ? days[days.length - 1].date : null);
  if (!end) return [];
  const first = days.length ? days[0].date : end;
  const out = [];
  for (let i = 30; i >= 0; i--) {
    const date = addDays(end, -i);
    if (date < first) continue;
    const d = byDate[date] || { date, data_bytes: 0, sms: 0, voice_seconds: 0 };
    out.push(d);
  }
  return out;
}

function usageChartBlock(card, allowance) {
  const wrap = h('div', {});
  wrap.append(h('p', {}, t('This cycle') + ' (', card.cycle, '): ', usageBar(card.usage.data_bytes, allowance, t('Data used this cycle')),
    ' · ' + t('{0} SMS', card.usage.sms) + ' · ' + t('{0} min voice', Math.round(card.usage.voice_seconds / 60))));
  const { cyc, opening, pts } = cumulativePoints(card);
  const chart = cumulativeChart(t('Cumulative data this cycle, by day of month ({0})', cyc), pts, allowance);
  chart.dataset.testid = 'cumulative-chart';
  wrap.append(chart);
  if (opening > 0) wrap.append(h('p', { class: 'note' }, t('The line starts at {0} used before the first recorded day of the cycle.', bytes(opening))));
  const recent = dailyBars(card);
  if (!recent.length) {
    wrap.append(h('p', {}, t('No daily usage recorded yet.')));
    return wrap;
  }
  const bars = barChart(t('Data used per day (last {0} days)', recent.length),
    recent.map((d) => ({ label: d.date.slice(5), value: d.data_bytes, title: d.date })), bytes);
  bars.dataset.testid = 'daily-chart';
  wrap.append(bars);
  wrap.append(h('details', {}, h('summary', {}, t('Daily usage as a table')),
    table(t('Daily usage'), [t('Date'), t('Data'), t('SMS'), t('Voice (s)')],
      recent.slice().reverse().map((d) => h('tr', {}, h('td', {}, d.date), h('td', { class: 'num' }, bytes(d.data_bytes)), h('td', { class: 'num' }, d.sms), h('td', { class: 'num' }, d.voice_seconds))))));
  return wrap;
}

/** Moves the simulated clock from anywhere on the page; returns the clock. */
async function postClock(body) {
  app.clockGen += 1;
  const k = await api('/clock', { method: 'POST', body });
  app.clockGen += 1;
  setClock(k);
  return k;
}

/** Scenario controls for a demo, without leaving the card: set the balance,
 * set usage to a share of the allowance, force arrears, expire now, renew,
 * clock steps, and snapshot / restore / reset of the whole world. Every
 * control is one admin-API call (PATCH /_sim/cards/{id}, POST /_sim/clock,
 * /_sim/snapshots, /_sim/reset). */
function scenarioPanel(card, refresh) {
  const out = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'scenario-result' });
  const done = (label, c) => {
    const reasons = c.reasons && c.reasons.length ? ' (' + c.reasons.map(word).join(', ') + ')' : '';
    return t('{0}: done; the card is now {1}, balance {2}, {3} used this cycle.', label, word(c.state) + reasons, yuan(c.balance_fen), bytes(c.usage.data_bytes));
  };
  const run = async (label, work) => {
    out.className = 'result';
    out.textContent = label + '…';
    try {
      const text = await work();
      await refresh();
      out.textContent = text;
    } catch (e) {
      out.textContent = t('{0} refused: {1}', label, e.message);
      out.className = 'result error';
    }
  };
  const patch = (label, body) => run(label, async () => done(label, await api('/cards/' + card.iccid, { method: 'PATCH', body })));
  const clock = (label, body) => run(label, async () => {
    const k = await postClock(typeof body === 'function' ? body() : body);
    const c = await api('/cards/' + card.iccid);
    return t('{0}: now {1}.', label, when(k.now)) + ' ' + done(t('Card'), c).replace(/^[^:]*: done; /, '');
  });
  const form = (label, input, submit, act) => {
    const f = h('form', { class: 'inline' }, field(label, input), h('button', { type: 'submit' }, submit));
    f.addEventListener('submit', (e) => { e.preventDefault(); act(input.value.trim()); });
    return f;
  };
  const balance = h('input', { type: 'number', step: '0.01', value: (card.balance_fen / 100).toFixed(2), required: true, inputmode: 'decimal', size: 8 });
  const percent = h('input', { type: 'number', min: '0', max: '1000', step: '1', value: '95', required: true, size: 5 });
  const snapName = h('input', { type: 'text', value: 'demo', required: true, size: 10, pattern: '[A-Za-z0-9._-]+', title: t('letters, digits, dot, dash, underscore') });
  const balanceForm = form(t('Set balance to (yuan)'), balance, t('Set balance'), (v) => {
    const fen = Math.round(Number(v) * 100);
    if (!Number.isFinite(fen)) { out.textContent = t('The balance must be a number.'); return; }
    patch(t('Set balance'), { balance_fen: fen });
  });
  const usageForm = form(t('Set usage to % of the allowance'), percent, t('Set usage'), async (v) => {
    const allowance = allowanceOf(card);
    if (!allowance) { out.textContent = t('This card has no data allowance.'); return; }
    patch(t('Set usage to {0} %', v), { usage: { data_bytes: Math.round((allowance * Number(v)) / 100) } });
  });
  const snapshot = async (label, fn) => run(label, fn);
  return section(t('Scenario'), 'c-scenario',
    h('p', { class: 'note' }, t('Shortcuts for a demo. Card changes go through the card rules; clock steps and snapshots act on the whole simulated world.')),
    h('div', { class: 'toolbar' }, balanceForm, usageForm),
    h('div', { class: 'buttons', role: 'group', 'aria-label': t('Card scenario') },
      h('button', { type: 'button', onclick: () => patch(t('Force arrears'), { balance_fen: -100 }) }, t('Force arrears')),
      h('button', { type: 'button', onclick: () => run(t('Expire now'), async () => {
        // The expiry runs in the engine at its instant: set it one second
        // ahead, then let the clock pass it.
        const at = shanghaiIso(new Date(Date.parse(app.clock.now) + 1000));
        await api('/cards/' + card.iccid, { method: 'PATCH', body: { expires: at } });
        await postClock({ advance: '1s' });
        return done(t('Expire now'), await api('/cards/' + card.iccid));
      }) }, t('Expire now')),
      h('button', { type: 'button', onclick: () => run(t('Renew 12 months'), async () => done(t('Renew 12 months'), await api('/cards/' + card.iccid + '/actions', { method: 'POST', body: { action: 'renew', months: 12 } }))) }, t('Renew 12 months'))),
    h('div', { class: 'buttons', role: 'group', 'aria-label': t('Clock steps') },
      h('button', { type: 'button', onclick: () => clock(t('+1 hour'), { advance: '1h' }) }, t('+1 hour')),
      h('button', { type: 'button', onclick: () => clock(t('+1 day'), { advance: '1d' }) }, t('+1 day')),
      h('button', { type: 'button', onclick: () => clock(t('To month end'), () => ({ set: monthEndMinus(app.clock.now, 60) })) }, t('To month end')),
      h('button', { type: 'button', onclick: () => clock(t('Next month'), () => ({ set: shanghaiIso(new Date(Date.parse(nextMonthStart(app.clock.now)) + 60e3)) })) }, t('Next month'))),
    h('div', { class: 'toolbar' },
      field(t('Snapshot name'), snapName),
      h('div', { class: 'buttons', role: 'group', 'aria-label': t('Snapshots') },
        h('button', { type: 'button', onclick: () => snapshot(t('Take snapshot'), async () => {
          await api('/snapshots', { method: 'POST', body: { name: snapName.value.trim() } });
          return t('Snapshot "{0}" taken.', snapName.value.trim());
        }) }, t('Take snapshot')),
        h('button', { type: 'button', onclick: () => snapshot(t('Restore snapshot'), async () => {
          await api('/snapshots/' + encodeURIComponent(snapName.value.trim()) + '/restore', { method: 'POST' });
          app.clockGen += 1;
          await refreshClock();
          return t('Snapshot "{0}" restored.', snapName.value.trim());
        }) }, t('Restore snapshot')),
        h('button', { type: 'button', onclick: () => snapshot(t('Reset world'), async () => {
          await api('/reset', { method: 'POST', body: {} });
          app.clockGen += 1;
          await refreshClock();
          return t('The world is back to its fixture.');
        }) }, t('Reset world')))),
    out);
}

function actionsPanel(card, refresh) {
  const out = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'action-result' });
  const run = async (body, label) => {
    out.className = 'result';
    out.textContent = label + '…';
    try {
      const c = await api('/cards/' + card.iccid + '/actions', { method: 'POST', body });
      await refresh();
      const reasons = c.reasons && c.reasons.length ? ' (' + c.reasons.map(word).join(', ') + ')' : '';
      out.textContent = t('{0}: done; the card is now {1}, balance {2}, {3} used this cycle.', label, word(c.state) + reasons, yuan(c.balance_fen), bytes(c.usage.data_bytes));
    } catch (e) {
      out.textContent = t('{0} refused: {1}', label, e.message);
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
  const data = h('input', { type: 'text', value: '100MB', required: true, size: 8, pattern: '\\s*\\d+(\\.\\d+)?\\s*([KMGkmg]?[Bb])?\\s*', title: t('a size such as 500MB, 1.5GB or a number of bytes') });
  return section(t('Actions'), 'c-actions',
    h('div', { class: 'buttons', role: 'group', 'aria-label': t('State actions') },
      btn(t('Stop'), 'stop'), btn(t('Resume'), 'resume'), btn(t('Activate'), 'activate'), btn(t('Cut data'), 'cut_data'), btn(t('Restore data'), 'restore_data')),
    smallForm(t('Top up'), t('Top-up amount (yuan)'), amount, t('Top up'), (v) => {
      const fen = Math.round(Number(v) * 100);
      return fen > 0 ? { action: 'top_up', amount_fen: fen } : t('The amount must be positive.');
    }),
    smallForm(t('Renew'), t('Renew for months'), months, t('Renew'), (v) => ({ action: 'renew', months: Number(v) })),
    smallForm(t('Use data'), t('Use data (adds to this cycle)'), data, t('Use data'), (v) => (/^\d+$/.test(v) ? { action: 'use_data', bytes: Number(v) } : { action: 'use_data', bytes: v.replace(/\s+/g, '') })),
    out);
}

function handsetPanel(card, refresh) {
  const sec = section(t('Virtual handset'), 'c-handset');
  sec.classList.add('handset-panel');
  const phone = h('div', { class: 'phone' });
  const log = h('ol', { class: 'convo', tabindex: 0, 'aria-label': t('Messages on the handset'), 'aria-live': 'polite', 'data-testid': 'handset-log' });
  const to = h('input', { name: 'to', size: 8, inputmode: 'numeric', required: true });
  const text = h('input', { name: 'text', size: 16, required: true, autocomplete: 'off' });
  const quick = h('div', { class: 'quick', role: 'group', 'aria-label': t('Service commands') });
  const form = h('form', { class: 'compose' }, field(t('To'), to), field(t('Message'), text), h('button', { type: 'submit' }, t('Send SMS')));
  const info = h('p', { class: 'hs-info' }, t('Loading the handset…'));
  phone.append(h('p', { class: 'phone-top' }, card.msisdn), log, quick, form);
  sec.append(info, phone);

  const bubble = (m) => h('li', { class: 'msg ' + (m.direction === 'mo' ? 'out' : 'in') },
    h('span', { class: 'peer' }, m.direction === 'mo' ? t('To {0}', m.peer) : t('From {0}', m.peer)),
    h('span', { class: 'text' }, m.text),
    h('time', { datetime: m.time }, when(m.time, false)));
  const base = API + '/handsets/' + card.iccid;
  (async () => {
    let hs;
    try {
      hs = await api('/handsets/' + card.iccid);
    } catch (e) {
      info.replaceWith(notAvailable(t('The virtual handset')));
      phone.hidden = true;
      return;
    }
    to.value = hs.sms_number;
    info.textContent = t('Service number {0} (hotline {1}); network access: {2}.', hs.sms_number, hs.voice_number, t(hs.access.replace(/_/g, ' ')));
    const seen = new Set();
    for (const c of hs.commands || []) {
      if (seen.has(c.command)) continue;
      seen.add(c.command);
      quick.append(h('button', { type: 'button', title: t('ask for {0}', c.query), onclick: () => send(c.command) }, c.command));
    }
    try {
      const m = await api('/handsets/' + card.iccid + '/messages');
      for (const x of (m.messages || []).slice(-30)) log.append(bubble(x));
    } catch (_) { /* history is optional */ }
  })();

  let sending = false;
  async function send(msg) {
    if (sending) return;
    sending = true;
    const now = app.clock ? app.clock.now : '';
    log.append(bubble({ direction: 'mo', peer: to.value, text: msg, time: now }));
    try {
      const r = await api('/handsets/' + card.iccid + '/sms', { method: 'POST', body: { to: to.value, text: msg } });
      if (!r.replies.length) log.append(h('li', { class: 'msg note' }, t('No reply from {0}.', to.value)));
      for (const x of r.replies) log.append(bubble({ direction: 'mt', peer: x.from, text: x.text, time: x.time }));
      text.value = '';
      refresh();
      say(r.replies.length ? t('Reply from {0}: {1}', r.replies[0].from, r.replies[0].text) : t('No reply.'));
    } catch (e) {
      log.append(h('li', { class: 'msg note error' }, t('Not sent: {0}', e.message)));
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
  const ms = Date.parse(nextMonthStart(now)) - secs * 1000;
  return shanghaiIso(new Date(ms));
}

const EVENT_TYPES = ['state_changed', 'usage_threshold', 'pool_exhausted', 'balance_low', 'balance_negative', 'charged', 'top_up', 'renewal',
  'rollover', 'add_on_ordered', 'sms_received', 'sms_sent', 'session_start', 'session_stop', 'imei_changed', 'edited'];

async function pageClock(root, _rest, params) {
  root.append(h('h1', {}, t('Clock')));
  const [c, accounts] = await Promise.all([api('/clock'), loadAccounts()]);
  setClock(c);
  const big = h('p', { class: 'bigclock' }, h('time', { 'data-testid': 'clock-now' }, when(c.now)));
  const meta = h('p', { 'data-testid': 'clock-meta' });
  const out = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'clock-result' });
  const paint = (k) => {
    big.firstChild.textContent = when(k.now);
    big.firstChild.setAttribute('datetime', k.now);
    meta.textContent = t('Cycle {0}', k.cycle) + ' · ' + (k.mode === 'running' ? t('running at ×{0}', k.speed) : t('frozen'));
    if (document.activeElement !== setIn) setIn.value = k.now.slice(0, 19);
  };
  app.clockListeners.push((k) => paint(k));
  const post = async (body, label) => {
    out.className = 'result';
    out.textContent = label + '…';
    try {
      const k = await postClock(body);
      out.textContent = t('{0}: now {1} (cycle {2}).', label, when(k.now), k.cycle);
      loadEvents();
    } catch (e) {
      out.textContent = t('{0} refused: {1}', label, e.message);
      out.className = 'result error';
    }
  };
  const step = (label, body) => h('button', { type: 'button', onclick: () => post(typeof body === 'function' ? body() : body, label) }, label);
  const adv = h('input', { name: 'advance', size: 8, value: '40d', required: true, title: t('a duration such as 90m, 36h or 40d') });
  const advForm = h('form', { class: 'inline' }, field(t('Advance by'), adv, t('e.g. 90m, 36h, 40d')), h('button', { type: 'submit' }, t('Advance')));
  advForm.addEventListener('submit', (e) => { e.preventDefault(); post({ advance: adv.value.trim() }, t('Advance {0}', adv.value.trim())); });
  const setIn = h('input', { name: 'set', type: 'datetime-local', step: 1, required: true, value: c.now.slice(0, 19) });
  const setForm = h('form', { class: 'inline' }, field(t('Set to (Shanghai time)'), setIn), h('button', { type: 'submit' }, t('Set')));
  paint(c);
  setForm.addEventListener('submit', (e) => {
    e.preventDefault();
    let v = setIn.value;
    if (v.length === 16) v += ':00';
    post({ set: v + '+08:00' }, t('Set'));
  });
  const speed = h('input', { name: 'speed', type: 'number', min: '0.1', max: '10000000', step: 'any', value: c.speed || 60, required: true });
  const speedForm = h('form', { class: 'inline' }, field(t('Speed (simulated seconds per real second)'), speed), h('button', { type: 'submit' }, t('Run')),
    h('button', { type: 'button', onclick: () => post({ freeze: true }, t('Freeze')) }, t('Freeze')));
  speedForm.addEventListener('submit', (e) => { e.preventDefault(); post({ speed: Number(speed.value) }, t('Run at ×{0}', speed.value)); });

  root.append(section(t('Simulated time'), 'k-now', big, meta,
    h('div', { class: 'buttons', role: 'group', 'aria-label': t('Advance by a preset step') },
      step(t('+1 hour'), { advance: '1h' }), step(t('+1 day'), { advance: '1d' }), step(t('+7 days'), { advance: '7d' }),
      step(t('To month end'), () => ({ set: monthEndMinus(app.clock.now, 60) })),
      step(t('Past month end'), () => ({ set: shanghaiIso(new Date(Date.parse(nextMonthStart(app.clock.now)) + 60e3)) }))),
    advForm, setForm, speedForm, out));

  // Event filters: card (server-side), event type (server-side), carrier
  // (the accounts of that carrier, checked here).
  const filters = { card: params.get('card') || '', carrier: params.get('carrier') || '', type: params.get('type') || '' };
  const carrierOf = Object.fromEntries(accounts.map((a) => [a.id, a.carrier]));
  const evForm = h('form', { class: 'filters', role: 'search', 'aria-label': t('Filter events') },
    field(t('Card (ICCID, MSISDN or IMSI)'), h('input', { name: 'card', value: filters.card, size: 22 })),
    field(t('Carrier'), select('carrier', [['', t('All carriers')], ...CARRIERS.map((x) => [x, carrierName(x)])], filters.carrier)),
    field(t('Event type'), select('type', [['', t('All events')], ...EVENT_TYPES.map((x) => [x, eventTypeName(x)])], filters.type)),
    h('p', { class: 'field buttons' }, h('button', { type: 'submit' }, t('Show events')), h('button', { type: 'button', onclick: () => { location.hash = '#/clock'; } }, t('All events'))));
  evForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(evForm)) if (v && v.trim()) q.set(k, v.trim());
    location.hash = '#/clock' + (q.toString() ? '?' + q.toString() : '');
  });
  const list = h('ol', { class: 'timeline', 'data-testid': 'clock-events', tabindex: 0, 'aria-label': t('Latest events, newest first') });
  const liveNote = h('p', { 'data-testid': 'live-mode' }, app.sse ? t('Live: following the server\'s event stream.') : t('Live: polling every few seconds.'));
  const evError = h('p', { class: 'error', role: 'alert', hidden: true });
  root.append(section(t('Latest events'), 'k-events', evForm, liveNote, evError, list));
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
        if (filters.card) q += '&card=' + encodeURIComponent(filters.card);
        if (filters.type) q += '&type=' + encodeURIComponent(filters.type);
        if (after !== null) q += '&after=' + after;
        else if (app.clock && !filters.card) q += '&from=' + encodeURIComponent(shanghaiIso(new Date(Date.parse(app.clock.now) - 24 * 3600e3)));
        const r = await api(q);
        if (r.items.length) after = r.next_after;
        const mine = filters.carrier ? r.items.filter((e) => carrierOf[e.account] === filters.carrier) : r.items;
        keep = keep.concat(mine).slice(-50);
        if (r.items.length < 10000) break;
      }
      evError.hidden = true;
      for (const e of keep) list.prepend(eventItem(e, true));
      while (list.children.length > 50) list.lastElementChild.remove();
      if (!list.children.length && !list.nextSibling) list.after(h('p', { 'data-testid': 'no-events' }, t('No events match.')));
      if (list.children.length && list.nextSibling) list.nextSibling.remove();
    } catch (e) {
      evError.textContent = e.message;
      evError.hidden = false;
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
  root.append(h('h1', {}, t('Faults and request journal')));
  const fSec = section(t('Faults'), 'f-faults');
  const hSec = section(t('Faults that fired'), 'f-fired');
  const jSec = section(t('Recent carrier-API requests'), 'f-journal');
  root.append(fSec, hSec, jSec);
  await Promise.all([renderFaults(fSec), renderFired(hSec), renderJournal(jSec, params)]);
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

const FAULT_EXAMPLE = '{"carrier": "ctcc", "kind": "carrier_error", "error": "too_frequent", "count": 1}';

async function renderFaults(sec) {
  let found;
  try {
    found = await probe(FAULT_PATHS);
  } catch (e) {
    sec.append(h('p', { class: 'error' }, e.message));
    return;
  }
  if (!found) {
    sec.append(notAvailable(t('Fault injection')));
    return;
  }
  const [path, body] = found;
  const items = itemsOf(body);
  const out = h('p', { class: 'result', role: 'status', 'aria-live': 'polite', 'data-testid': 'fault-result' });
  const fail = (what, e) => { out.textContent = what + ': ' + e.message; out.className = 'result error'; };
  if (items.length) {
    const first = ['id', 'carrier', 'kind'];
    const rest = [...new Set(items.flatMap((x) => Object.keys(x)))].filter((k) => !first.includes(k) && k !== 'fired');
    sec.append(h('div', { class: 'scroll' }, table(t('Active fault rules'), [t('Id'), t('Carrier'), t('Kind'), t('Settings'), t('Fired'), t('Remove')], items.map((f) => h('tr', {},
      h('th', { scope: 'row', class: 'mono' }, cell(f.id)), h('td', {}, cell(f.carrier || t('all'))), h('td', {}, cell(f.kind)),
      h('td', {}, rest.filter((k) => f[k] !== undefined && f[k] !== null).map((k) => h('span', { class: 'kvs' }, k + ' ', cell(f[k]), ' '))),
      h('td', { class: 'num' }, cell(f.fired)),
      h('td', {}, f.id !== undefined ? h('button', {
        type: 'button', 'aria-label': t('Remove fault {0}', f.id),
        onclick: async () => {
          try {
            await api(path + '/' + encodeURIComponent(f.id), { method: 'DELETE' });
            say(t('Fault {0} removed.', f.id));
            route(true);
          } catch (e) { fail(t('Not removed'), e); }
        },
      }, t('Remove')) : '–'))), { 'data-testid': 'faults-table' })));
  } else {
    sec.append(h('p', { 'data-testid': 'no-faults' }, t('No fault rules are active.')));
  }
  // What was typed stays (across a re-render after Add, and on a refusal).
  const ta = h('textarea', { rows: 4, cols: 60, spellcheck: 'false', class: 'mono', 'data-testid': 'fault-json' });
  ta.value = sessionStorage.getItem('carrierSimFaultDraft') || FAULT_EXAMPLE;
  ta.addEventListener('input', () => sessionStorage.setItem('carrierSimFaultDraft', ta.value));
  const form = h('form', { class: 'stack' },
    field(t('New fault rule (JSON)'), ta, t('kinds: latency, carrier_error, http, reset, truncate, timeout; scope with carrier, endpoint, method, account, card; limit with probability, count or a time window (see docs/admin-api.md)')),
    h('p', { class: 'buttons' },
      h('button', { type: 'submit' }, t('Add fault')),
      h('button', { type: 'button', onclick: () => { ta.value = FAULT_EXAMPLE; sessionStorage.removeItem('carrierSimFaultDraft'); } }, t('Example')),
      items.length ? h('button', { type: 'button', onclick: async () => {
        try { await api(path, { method: 'DELETE' }); say(t('All faults removed.')); route(true); } catch (e) { fail(t('Not cleared'), e); }
      } }, t('Remove all faults')) : null), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    sessionStorage.setItem('carrierSimFaultDraft', ta.value);
    let rule;
    try { rule = JSON.parse(ta.value); } catch (err) { fail(t('Not JSON'), err); return; }
    try {
      const r = await api(path, { method: 'POST', body: rule });
      say(t('Fault {0} added.', r && r.id ? r.id : ''));
      route(true);
    } catch (err) { fail(t('Refused'), err); }
  });
  sec.append(form);
}

/** The history of rules that fired (GET /_sim/faults/fired), which keeps a
 * rule that retired after its count. */
async function renderFired(sec) {
  let r;
  try {
    r = await api('/faults/fired');
  } catch (e) {
    sec.append(e.status === 404 ? notAvailable(t('The fired-fault history')) : h('p', { class: 'error' }, e.message));
    return;
  }
  if (!r.items.length) {
    sec.append(h('p', { 'data-testid': 'no-fired' }, t('No fault has fired yet.')));
    return;
  }
  sec.append(h('div', { class: 'scroll' }, table(t('Faults that fired, newest first (the last {0})', r.cap), [t('Request'), t('Time'), t('Simulated time'), t('Rule'), t('Kind'), t('Request path'), t('Status')],
    r.items.slice(0, 100).map((f) => h('tr', {},
      h('th', { scope: 'row' }, f.request_seq ? h('a', { href: '#req-' + f.request_seq, onclick: (e) => { e.preventDefault(); openRequest(f.request_seq); } }, '#' + f.request_seq) : '–'),
      h('td', { class: 'nowrap' }, wallTime(f.time)), h('td', { class: 'nowrap' }, when(f.sim_time)),
      h('td', { class: 'mono' }, f.rule_id), h('td', {}, f.rule ? f.rule.kind + (f.rule.error ? ' ' + f.rule.error : '') + (f.rule.count ? ' · count ' + f.rule.count : '') : t('rate limit')),
      h('td', { class: 'mono' }, (f.method || '') + ' ' + f.path), h('td', { class: 'num' }, f.status === 0 ? 'reset' : f.status))),
    { 'data-testid': 'fired-table' })));
}

/** Scrolls to a journal entry and opens it. */
function openRequest(seq) {
  const li = document.getElementById('req-' + seq);
  if (!li) { say(t('Request #{0} is not in the list shown.', seq)); return; }
  li.querySelector('details').open = true;
  li.scrollIntoView({ block: 'start' });
  li.querySelector('summary').focus();
}

/** Wall-clock time of a request in Shanghai time (milliseconds when the
 * record has them). */
function wallTime(ts) {
  if (!ts) return '–';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return new Date(d.getTime() + 8 * 3600e3).toISOString().slice(11, /\.\d/.test(ts) ? 23 : 19);
}

/** The newest request records: filters apply to the latest 1000 requests. */
async function latestRequests(base, filters) {
  const oldest = await api(base + '?limit=1');
  const first = itemsOf(oldest)[0];
  if (!first) return { items: [], total: 0, cap: oldest.cap, newest: 0 };
  const newest = first.seq + (oldest.total || 1) - 1;
  const q = new URLSearchParams(filters);
  q.set('after', Math.max(0, newest - 1000));
  q.set('limit', 1000);
  const r = await api(base + '?' + q.toString());
  return { items: itemsOf(r).slice(-100).reverse(), total: oldest.total, cap: oldest.cap, newest };
}

/** The carrier-level result of a request, read from its answer the way each
 * carrier's clients read it (HTTP 200 is not success by itself):
 * CMCC v5/v2: `status` "0" (spec cmcc.md, envelope); CUCC REST: the HTTP
 * status, errors carry `errorCode`/`errorMessage`; CUCC CMP gateway:
 * `status` "0000" and `data.resultCode` "0000" (cucc.md §8.2); CTCC
 * m2m_ec: a plain-text `code：message` is an error, else `resultCode`,
 * `RESULT`, `IRESULT` "0"/"0000" in JSON or XML, `info` "success"; CTCC
 * 5G: `code` 0 (ctcc.md). Returns {ok, code, message}; ok is null when
 * the answer says nothing. */
function carrierResult(r) {
  if (r.status === 0) return { ok: false, code: 'reset', message: t('connection reset') };
  const body = (r.body || '').trim();
  let obj = null;
  try { obj = JSON.parse(body); } catch (_) { /* not JSON */ }
  const pick = (o, keys) => { for (const k of keys) if (o && o[k] !== undefined && o[k] !== null && typeof o[k] !== 'object') return String(o[k]); return null; };
  const msgOf = (o) => pick(o, ['message', 'resultMsg', 'resultDesc', 'SMSG', 'msg', 'errorMessage', 'RspDesc', 'messg']) || '';
  if (r.status >= 400) {
    return { ok: false, code: pick(obj, ['errorCode', 'code', 'status']) || String(r.status), message: msgOf(obj) || body.slice(0, 120) };
  }
  const path = r.path || '';
  if (r.carrier === 'cucc' && path.startsWith('/rws')) return { ok: r.status < 300, code: null, message: '' };
  if (!obj && r.carrier === 'ctcc') {
    const text = body.match(/^(-?\d+)[：:]\s*([\s\S]*)$/);
    if (text) return { ok: false, code: text[1], message: text[2].trim() };
    const xml = body.match(/<(resultCode|IRESULT|RESULT|RspCode|result)>\s*([^<]*?)\s*</);
    if (xml) {
      const ok = ['0', '0000'].includes(xml[2]);
      const m = body.match(/<(resultMsg|SMSG|RspDesc)>([^<]*)</);
      return { ok, code: xml[2], message: m ? m[2] : '' };
    }
  }
  if (obj && typeof obj === 'object') {
    if (r.carrier === 'cmcc' || (r.carrier === 'cucc' && !path.startsWith('/rws'))) {
      const st = pick(obj, ['status']);
      if (st !== null) {
        const inner = obj.data && typeof obj.data === 'object' ? pick(obj.data, ['resultCode']) : null;
        const ok = ['0', '0000'].includes(st) && (inner === null || inner === '0000' || inner === '0');
        return { ok, code: ok ? st : inner && st === '0000' ? inner : st, message: ok ? msgOf(obj) : (obj.data && msgOf(obj.data)) || msgOf(obj) };
      }
    }
    if (r.carrier === 'ctcc') {
      const src = obj.Response && typeof obj.Response === 'object' ? obj.Response : obj;
      const code = pick(src, ['resultCode', 'RESULT', 'IRESULT', 'RspCode', 'code']);
      if (code !== null) return { ok: ['0', '0000'].includes(code), code, message: msgOf(src) };
      const info = pick(obj, ['info']);
      if (info !== null) return { ok: info === 'success', code: info, message: msgOf(obj) };
    }
  }
  return { ok: r.status < 300 ? null : false, code: null, message: '' };
}

/** A shell command that repeats a request (secrets stay masked: fill them in). */
function curlOf(r) {
  const q = (v) => "'" + String(v).replace(/'/g, "'\\''") + "'";
  const params = r.params || [];
  const headers = (r.request_headers || []).filter(([k]) => !['host', 'content-length', 'connection', 'accept-encoding', 'user-agent'].includes(k.toLowerCase()));
  const ctype = (headers.find(([k]) => k.toLowerCase() === 'content-type') || [])[1] || '';
  const parts = ['curl', '-X', r.method];
  for (const [k, v] of headers) parts.push('-H', q(k + ': ' + v));
  let url = location.origin + r.path;
  if (r.method === 'GET' || !params.length) {
    const qs = params.filter(([k]) => k !== 'basic_user' && k !== 'Authorization').map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
    if (qs) url += '?' + qs;
  } else if (ctype.includes('json')) {
    const o = {};
    for (const [k, v] of params) if (k !== 'basic_user' && k !== 'Authorization') o[k] = v;
    parts.push('--data', q(JSON.stringify(o)));
  } else {
    for (const [k, v] of params) if (k !== 'basic_user' && k !== 'Authorization') parts.push('--data-urlencode', q(k + '=' + v));
  }
  parts.push(q(url));
  return parts.join(' ');
}

/** The lines of a request that a diff compares. */
function requestLines(r) {
  return [
    r.method + ' ' + r.path + ' → ' + r.status,
    ...(r.params || []).map(([k, v]) => 'param ' + k + ' = ' + v),
    ...(r.request_headers || []).map(([k, v]) => 'request header ' + k + ': ' + v),
    ...(r.response_headers || []).map(([k, v]) => 'response header ' + k + ': ' + v),
    ...prettyBody(r.body || '').split('\n').map((l) => 'body ' + l),
  ];
}

/** A line diff (longest common subsequence) of two requests. */
function diffRequests(a, b) {
  const x = requestLines(a), y = requestLines(b);
  const n = x.length, m = y.length;
  const L = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { out.push([' ', x[i]]); i++; j++; }
    else if (i < n && (j === m || L[i + 1][j] >= L[i][j + 1])) { out.push(['-', x[i]]); i++; }
    else { out.push(['+', y[j]]); j++; }
  }
  return out;
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
    sec.append(notAvailable(t('The request journal')));
    return;
  }
  const base = found[0].split('?')[0];
  const filters = {};
  for (const k of ['carrier', 'path', 'status']) if (params.get(k)) filters[k] = params.get(k);
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': t('Filter requests') },
    field(t('Carrier'), select('carrier', [['', t('All carriers')], ...CARRIERS.map((c) => [c, carrierName(c)])], filters.carrier || '')),
    field(t('Path contains'), h('input', { name: 'path', value: filters.path || '', size: 18 })),
    field(t('Status'), h('input', { name: 'status', value: filters.status || '', size: 4, inputmode: 'numeric' })),
    h('p', { class: 'field buttons' }, h('button', { type: 'submit' }, t('Show')),
      h('button', { type: 'button', onclick: async () => { try { await api(base, { method: 'DELETE' }); say(t('Journal cleared.')); route(true); } catch (e) { say(t('Not cleared: {0}', e.message)); } } }, t('Clear journal'))));
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
  const summary = h('p', { 'data-testid': 'journal-summary' });
  let shown = r.items.length;
  const paintSummary = () => {
    summary.textContent = t('{0} requests recorded (the journal keeps {1}); newest first, filters apply to the latest 1000.', r.total, r.cap);
  };
  paintSummary();
  const liveBox = h('input', { type: 'checkbox', checked: true, 'data-testid': 'journal-live' });
  const liveState = h('span', { class: 'note', 'data-testid': 'journal-live-state' });
  const compare = h('section', { class: 'diff', 'aria-labelledby': 'f-diff', 'data-testid': 'request-diff', hidden: true }, h('h3', { id: 'f-diff' }, t('Difference between two requests')));
  const picked = [];
  const byseq = new Map();
  const list = h('ol', { class: 'journal', 'data-testid': 'journal' });
  const empty = h('p', { 'data-testid': 'journal-empty' }, t('No carrier-API requests match.'));
  const onPick = (rec, box) => {
    if (box.checked) {
      picked.push(rec.seq);
      while (picked.length > 2) {
        const drop = picked.shift();
        const other = list.querySelector(`#req-${drop} input[data-compare]`);
        if (other) other.checked = false;
      }
    } else {
      const i = picked.indexOf(rec.seq);
      if (i >= 0) picked.splice(i, 1);
    }
    paintDiff();
  };
  const paintDiff = () => {
    compare.replaceChildren(compare.firstChild);
    compare.hidden = picked.length === 0;
    if (picked.length < 2) {
      compare.append(h('p', {}, t('Pick a second request to compare with #{0}.', picked[0])));
      return;
    }
    const [a, b] = picked.slice().sort((x, y) => x - y).map((s) => byseq.get(s));
    const lines = diffRequests(a, b);
    const changed = lines.filter(([m]) => m !== ' ').length;
    compare.append(h('p', {}, t('#{0} → #{1}: {2} lines differ.', a.seq, b.seq, changed)),
      h('pre', { class: 'box', 'data-testid': 'diff-lines', tabindex: 0, 'aria-label': t('Differences, - for #{0} and + for #{1}', a.seq, b.seq) },
        lines.filter(([m], i) => m !== ' ' || (lines[i - 1] && lines[i - 1][0] !== ' ') || (lines[i + 1] && lines[i + 1][0] !== ' '))
          .map(([m, l]) => h('span', { class: m === '+' ? 'add' : m === '-' ? 'del' : '' }, m + ' ' + l + '\n'))));
  };
  const add = (rec, atTop) => {
    byseq.set(rec.seq, rec);
    const li = requestItem(rec, onPick);
    if (atTop) list.prepend(li); else list.append(li);
    while (list.children.length > 100) list.lastElementChild.remove();
    empty.hidden = list.children.length > 0;
  };
  for (const rec of r.items) add(rec, false);
  empty.hidden = r.items.length > 0;
  sec.append(summary, h('p', { class: 'inline-check' }, liveBox, h('label', { for: (liveBox.id = 'journal-live') }, t('Live: show new requests as they arrive')), ' ', liveState), compare, empty, list);

  // Live: GET /_sim/requests/stream (read with fetch, so the bearer token
  // works), new requests on top; the stream ends when the page changes.
  const ctl = new AbortController();
  app.timers.push({ abort: () => ctl.abort() });
  const follow = async () => {
    const q = new URLSearchParams(filters);
    q.set('after', r.newest);
    const headers = { Accept: 'text/event-stream' };
    if (app.token) headers.Authorization = 'Bearer ' + app.token;
    let res;
    try {
      res = await fetch(API + base + '/stream?' + q.toString(), { headers, signal: ctl.signal });
    } catch (_) { return; }
    if (!res.ok || !res.body) { liveState.textContent = t('(no live stream in this build)'); return; }
    liveState.textContent = t('(following)');
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
          if (!data || !liveBox.checked) continue;
          try {
            const rec = JSON.parse(data);
            r.newest = Math.max(r.newest, rec.seq);
            r.total += 1;
            shown += 1;
            add(rec, true);
            paintSummary();
          } catch (_) { /* not a record */ }
        }
      }
    } catch (_) { /* aborted or ended */ }
    liveState.textContent = ctl.signal.aborted ? '' : t('(stream ended)');
  };
  follow();
}

function prettyBody(b) {
  try {
    return JSON.stringify(JSON.parse(b), null, 2);
  } catch (_) {
    return b;
  }
}

function headerTable(caption, headers) {
  return headers && headers.length
    ? table(caption, [t('Name'), t('Value')], headers.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, v))))
    : null;
}

function requestItem(r, onPick) {
  const status = r.status === 0 ? 'reset' : r.status;
  const res = carrierResult(r);
  const verdict = res.ok === false
    ? h('span', { class: 'result-error', 'data-testid': 'carrier-result' }, ' ✗ ' + t('carrier error {0}', res.code || '') + (res.message ? ' ' + res.message : ''))
    : res.ok === true ? h('span', { class: 'result-ok', 'data-testid': 'carrier-result' }, ' ✓ ' + t('ok')) : null;
  const curlOut = h('span', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const curlBox = h('textarea', { rows: 3, readonly: true, class: 'mono', hidden: true, 'aria-label': t('curl command for request #{0}', r.seq) });
  const pick = h('input', { type: 'checkbox', 'data-compare': '', 'aria-label': t('Compare request #{0}', r.seq) });
  pick.addEventListener('change', () => onPick && onPick(r, pick));
  return h('li', { id: 'req-' + r.seq, 'data-seq': r.seq, class: res.ok === false ? 'failed' : '' }, pick, ' ', h('details', {},
    h('summary', {},
      h('span', { class: 'mono seq' }, '#' + r.seq), ' ',
      h('time', { datetime: r.sim_time || r.time, title: t('simulated time') }, when(r.sim_time || r.time)), ' ',
      h('span', { class: 'wall', title: t('wall-clock time') }, '(' + wallTime(r.time) + ')'), ' ',
      h('strong', {}, r.method), ' ', h('span', { class: 'mono' }, r.path), ' → ',
      h('span', { class: 'status-' + String(r.status).charAt(0) }, status),
      r.carrier ? ' · ' + r.carrier : '', r.account ? ' · ' + r.account : '',
      r.latency_ms !== undefined ? ' · ' + Number(r.latency_ms).toFixed(1) + ' ms' : '',
      verdict,
      r.faults && r.faults.length ? h('span', { class: 'state state-suspended' }, ' ' + t('fault {0}', r.faults.join(', '))) : null),
    h('div', { class: 'req' },
      h('p', { class: 'buttons' },
        h('button', { type: 'button', onclick: async () => {
          const cmd = curlOf(r);
          curlBox.value = cmd;
          curlBox.hidden = false;
          try {
            await navigator.clipboard.writeText(cmd);
            curlOut.textContent = t('Copied to the clipboard (masked secrets stay masked).');
          } catch (_) {
            curlOut.textContent = t('Select the command below and copy it.');
            curlBox.select();
          }
        } }, t('Copy as curl')), curlOut),
      curlBox,
      (r.params || []).length ? table(t('Parameters (secrets masked)'), [t('Name'), t('Value')], r.params.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, v)))) : h('p', {}, t('No parameters.')),
      headerTable(t('Request headers (secrets masked)'), r.request_headers),
      headerTable(t('Response headers'), r.response_headers),
      r.cards && r.cards.length ? h('p', {}, t('Cards:') + ' ', r.cards.map((c, i) => [i ? ', ' : '', h('a', { href: '#/card/' + c, class: 'mono' }, c)])) : null,
      h('p', {}, t('Response body:')),
      h('pre', { tabindex: 0 }, prettyBody(r.body || '')))));
}

// ------------------------------------------------------------------- boot

/** Puts the static parts of index.html (marked data-i18n) in the page's
 * language and sets <html lang>. The English text is kept to switch back. */
function applyLanguage() {
  document.documentElement.lang = app.lang === 'zh-CN' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) {
    if (!el.dataset.en) el.dataset.en = el.textContent;
    el.textContent = t(el.dataset.en);
  }
  for (const el of document.querySelectorAll('[data-i18n-label], header nav')) {
    if (!el.dataset.enLabel) el.dataset.enLabel = el.getAttribute('aria-label');
    el.setAttribute('aria-label', t(el.dataset.enLabel));
  }
  document.getElementById('lang-select').value = app.lang;
  if (app.clock) setClock(app.clock);
}

function boot() {
  app.lang = pickLanguage();
  applyLanguage();
  document.getElementById('lang-select').addEventListener('change', (e) => {
    app.lang = e.target.value;
    localStorage.setItem('carrierSimLang', app.lang);
    applyLanguage();
    route(true);
  });
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
  if (!location.hash) history.replaceState(null, '', '#/overview');
  startLive();
  route();
}

document.addEventListener('DOMContentLoaded', boot);
