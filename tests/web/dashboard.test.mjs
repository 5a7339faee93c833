// Drives the carrier-sim dashboard (/_sim/ui) in headless Chromium against a
// running simulator loaded with the default fixture, and checks what the page
// shows against the admin API: load the fleet, filter it, open a card, stop
// it, send CXLL from the virtual handset, advance the clock past month end,
// then the overview and the faults/journal page. Saves a screenshot of each
// page.
//
//   SIM_URL=http://127.0.0.1:8080 node tests/web/dashboard.test.mjs
//
// Environment: SIM_URL (required), SIM_TOKEN (run the admin-token scenario
// instead, against a simulator started with that token), SCREENSHOT_DIR (default docs/screenshots
// next to this repository's root), CHROMIUM (default /usr/bin/chromium).
// Exits non-zero on the first failed check.

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const SIM = (process.env.SIM_URL || '').replace(/\/$/, '');
if (!SIM) {
  console.error('set SIM_URL to a running carrier-sim, e.g. http://127.0.0.1:8080');
  process.exit(2);
}
const SHOTS = resolve(process.env.SCREENSHOT_DIR || join(here, '..', '..', 'docs', 'screenshots'));
const EXE = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// axe-core, run inside the page (evaluated over the DevTools protocol, so
// the page's Content-Security-Policy stays in force for everything else).
const AXE = readFileSync(join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Fails on any WCAG 2.1 A/AA problem axe-core finds on the page as shown. */
async function axeCheck(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const r = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), WCAG);
  const found = r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160)).join(' | ')}`);
  assert.deepEqual(found, [], `axe-core finds no WCAG A/AA problem on ${label}`);
  axeRuns += 1;
}
let axeRuns = 0;

/** The page does not scroll sideways (the phone check). */
async function noSidewaysScroll(page, label) {
  const [sw, w, wide] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth,
    [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.scroll'))
      .slice(-4).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))]);
  assert.ok(sw <= w, `${label}: the page is ${sw} px wide in a ${w} px window (${wide.join('; ')})`);
}

/** Opens a view by its hash and waits until that view (not the previous one) is shown. */
async function openView(page, hash, ready) {
  await page.goto(SIM + '/_sim/ui' + hash);
  await page.waitForFunction((h) => document.querySelector('main')?.dataset.hash === h, hash);
  if (ready) await page.waitForSelector(ready);
}

/** Waits until the view for the current hash is shown (after a form changed the hash). */
async function settled(page) {
  await page.waitForFunction(() => document.querySelector('main')?.dataset.hash === location.hash);
}

async function adminSend(method, path, body) {
  return fetch(SIM + '/_sim' + path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** The Luhn check digit of a digit string (ICCIDs end with one). */
function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

async function adminGet(path) {
  const r = await fetch(SIM + '/_sim' + path);
  assert.ok(r.ok, `GET /_sim${path} → ${r.status}`);
  return r.json();
}

/** Form controls on the page without an accessible label. */
async function unlabelled(page) {
  return page.$$eval('input:not([type=hidden]), select, textarea, button', (els) => els
    .filter((e) => e.offsetParent !== null || e.closest('form'))
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.tagName === 'BUTTON' && e.textContent.trim()))
    .map((e) => e.outerHTML.slice(0, 80)));
}

/**
 * With ASSETS_DIR set (a development aid), the page's files are served from
 * that directory instead of the binary, with the binary's headers, so an
 * edit to src/web/assets can be tried without a rebuild.
 */
async function serveAssetsFromDisk(ctx) {
  const dir = process.env.ASSETS_DIR;
  if (!dir) return;
  const types = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
  await ctx.route(/\/_sim\/ui(\/[\w.-]+)?([?#].*)?$/, async (route) => {
    const m = new URL(route.request().url()).pathname.match(/\/_sim\/ui\/?([\w.-]*)$/);
    const name = (m && m[1]) || 'index.html';
    const res = await route.fetch();
    const headers = res.headers();
    try {
      headers['content-type'] = types[name.split('.').pop()];
      await route.fulfill({ status: 200, headers, body: readFileSync(join(dir, name)) });
    } catch (_) {
      await route.fulfill({ response: res });
    }
  });
}

let step = 0;
function log(msg) {
  step += 1;
  console.log(`ok ${step} - ${msg}`);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  // One browser for the whole run: an English context first, then a
  // zh-CN one for the language default.
  const browser = await chromium.launch({ executablePath: EXE, headless: true, args: FLAGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await serveAssetsFromDisk(ctx);
  const problems = [];
  try {
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    const watch = (p) => {
      p.on('pageerror', (e) => problems.push('page error: ' + e.message));
      p.on('console', (m) => {
        // Probing for optional endpoints logs 404s and a refused action logs its 409; anything else is a bug.
        if (m.type() === 'error' && !/status of 40[49]/.test(m.text())) problems.push('console: ' + m.text());
      });
      p.on('requestfailed', (r) => {
        // Navigating away aborts what is in flight (the event stream, a page's loads): not a failure.
        const why = (r.failure() || {}).errorText || '';
        if (!why.includes('ERR_ABORTED')) problems.push(`request failed (${why}): ${r.url()}`);
      });
      p.on('response', (r) => {
        if (r.status() === 401 || r.status() === 403 || r.status() >= 500) problems.push(`HTTP ${r.status()} for ${r.url()}`);
      });
      p.on('request', (r) => {
        if (!r.url().startsWith(SIM) && !/^(blob|data):/.test(r.url())) problems.push('off-origin request: ' + r.url());
      });

    };
    watch(page);

    // ---- Overview is the landing page.
    const world = await adminGet('/cards?page_size=1');
    await page.goto(SIM + '/_sim/ui');
    await page.waitForSelector('[data-testid=events-per-hour]');
    assert.match(page.url(), /#\/overview$/);
    assert.ok(!(await page.locator('#token-form').isVisible()), 'no token is asked for on an open admin plane');
    assert.equal(await page.locator('h1').textContent(), 'Overview');
    // Events per hour: the bars add up to the count in the text, and the
    // fixture's events (at the current instant) are in the last bar.
    const evText = await page.getByTestId('events-count').textContent();
    const evBars = await page.$$eval('[data-testid=events-per-hour] rect', (rs) => rs.map((r) => Number(r.dataset.value)));
    const evSum = evBars.reduce((a, b) => a + b, 0);
    assert.equal(evText.match(/^(\d+) events/)[1], String(evSum), `"${evText}" agrees with the bars`);
    const nowClock = await adminGet('/clock');
    const since = new Date(Date.parse(nowClock.now) - 24 * 3600e3);
    const apiEvents = (await adminGet('/events?limit=10000&from=' + encodeURIComponent(new Date(since.getTime() + 8 * 3600e3).toISOString().slice(0, 19) + '+08:00'))).items;
    assert.equal(evSum, apiEvents.length, 'every event of the last 24 hours is in a bar');
    const atNow = apiEvents.filter((e) => Date.parse(e.time) >= Date.parse(nowClock.now) - 3600e3).length;
    assert.equal(evBars[23], atNow, 'the last bar holds the last hour, the current instant included');
    const ticks = await page.$$eval('[data-testid=events-per-hour] text.axis', (ts) => ts.map((t) => t.textContent));
    const yTicks = ticks.filter((x) => /^\d+$/.test(x));
    assert.equal(new Set(yTicks).size, yTicks.length, `y-axis ticks ${yTicks} are distinct whole numbers`);
    log(`overview is the landing page; events per hour: ${evSum} events, ${atNow} in the last hour, axis ${yTicks.join(', ')}`);
    await axeCheck(page, 'the overview');

    // ---- Fleet
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    await page.waitForSelector('[data-testid=fleet-table] tbody tr');
    assert.equal(await page.locator('h1').textContent(), 'Fleet');
    const range = await page.getByTestId('fleet-range').textContent();
    assert.ok(range.includes(`of ${world.total}`), `fleet range "${range}" shows the total ${world.total}`);
    assert.equal(await page.locator('[data-testid=fleet-table] tbody tr').count(), Math.min(50, world.total));
    log(`fleet lists the first 50 of ${world.total} cards`);
    assert.deepEqual(await unlabelled(page), [], 'every control on the fleet page is labelled');
    await page.screenshot({ path: join(SHOTS, 'fleet.png') });
    await axeCheck(page, 'the fleet');

    // Paging is server-side: page 2 starts at card 51.
    await page.getByRole('button', { name: 'Next ›' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=fleet-range]')?.textContent.startsWith('Cards 51–'));
    log('next page shows cards 51–100');

    // Filter: CUCC cards tagged "normal".
    const normal = (await adminGet('/cards?carrier=cucc&tag=normal')).items[0];
    await page.getByLabel('Carrier').selectOption('cucc');
    await page.getByLabel('Tag').fill('normal');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=fleet-range]')?.textContent.includes('of 1 '));
    const row = page.locator('[data-testid=fleet-table] tbody tr');
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('th').textContent(), normal.iccid);
    assert.match(await row.textContent(), /active/);
    log('filter by carrier and tag finds the CUCC normal card');

    // Search by MSISDN.
    await page.getByLabel('Tag').fill('');
    await page.getByLabel('ICCID, MSISDN or IMSI').fill(normal.msisdn);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction((m) => location.hash.includes(m), normal.msisdn);
    await page.waitForSelector(`[data-testid=fleet-table] tr[data-iccid="${normal.iccid}"]`);
    log('search by MSISDN finds the card');

    // ---- Card
    await page.getByRole('link', { name: normal.iccid }).click();
    await page.waitForSelector('[data-testid=card-state]');
    assert.match(await page.locator('h1').textContent(), new RegExp(normal.iccid));
    assert.match(await page.getByTestId('card-state').textContent(), /^active/);
    for (const title of ['Identity', 'Plan', 'Pool', 'Usage', 'Actions', 'Virtual handset', 'Ledger', 'Event timeline']) {
      await page.getByRole('heading', { name: title, exact: true }).waitFor();
    }
    log('card page shows identity, plan, pool, usage, actions, handset, ledger, events');

    // Top up ¥12.34 and use 100 MB: balance and usage meter follow.
    const usedBefore = normal.usage.data_bytes;
    await page.getByLabel('Top-up amount (yuan)').fill('12.34');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    const toppedBalance = '¥' + ((normal.balance_fen + 1234) / 100).toFixed(2);
    await page.waitForFunction((b) => document.querySelector('[data-testid=card-balance]')?.textContent === b, toppedBalance);
    await page.getByLabel('Use data (adds to this cycle)').fill('100MB');
    await page.getByRole('button', { name: 'Use data', exact: true }).click();
    const usedText = ((usedBefore + 100 * 1024 * 1024) / 1048576).toFixed(2) + ' MB';
    await page.waitForFunction((t) => document.querySelector('#c-usage')?.parentElement.textContent.includes(t), usedText);
    const afterUse = await adminGet('/cards/' + normal.iccid);
    assert.equal(afterUse.usage.data_bytes, usedBefore + 100 * 1024 * 1024);
    assert.equal(afterUse.balance_fen, normal.balance_fen + 1234);
    await page.waitForFunction(() => /^Use data: done/.test(document.querySelector('[data-testid=action-result]')?.textContent));
    assert.match(await page.getByTestId('action-result').textContent(), new RegExp('^Use data: done; the card is now active, balance .*' + usedText));
    log(`top-up shows ${toppedBalance}; use data shows ${usedText} used`);

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=card-state]')?.textContent.startsWith('suspended'));
    assert.match(await page.getByTestId('card-state').textContent(), /suspended \(manual\)/);
    const afterStop = await adminGet('/cards/' + normal.iccid);
    assert.equal(afterStop.state, 'suspended');
    assert.deepEqual(afterStop.reasons, ['manual']);
    assert.match(await page.getByTestId('card-events').textContent(), /state changed\s*active → suspended \(manual\)/);
    await page.waitForFunction(() => /^Stop: done/.test(document.querySelector('[data-testid=action-result]')?.textContent));
    assert.match(await page.getByTestId('action-result').textContent(), /^Stop: done; the card is now suspended \(manual\)/);
    log('Stop suspends the card (page and API agree) and the timeline shows it');

    // A refusal by the card rules is shown with the server's reason, and focus stays on the button.
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.waitForFunction(() => /refused/.test(document.querySelector('[data-testid=action-result]')?.textContent));
    assert.match(await page.getByTestId('action-result').textContent(), /^Stop refused: refused by the card rules: card is already stopped by its owner/);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Stop');
    log('a second Stop shows the 409 refusal text');


    // Virtual handset: CXLL to 10010.
    const hsLog = page.getByTestId('handset-log');
    await page.getByLabel('To', { exact: true }).waitFor();
    assert.equal(await page.getByLabel('To', { exact: true }).inputValue(), '10010');
    await page.getByLabel('Message', { exact: true }).fill('CXLL');
    await page.getByRole('button', { name: 'Send SMS' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=handset-log] .msg.in'));
    const reply = await hsLog.locator('.msg.in').last().locator('.text').textContent();
    const history = await adminGet('/handsets/' + normal.iccid + '/messages');
    const last = history.messages[history.messages.length - 1];
    assert.equal(last.direction, 'mt');
    assert.equal(reply, last.text, 'the bubble shows the reply the simulator sent');
    // China Unicom's real CXLL reply (docs/sms.md: cucc-data-2017) ends in its advert.
    assert.match(reply, /^尊敬的用户：截止.*总流量/);
    assert.match(reply, /【玩4G就上 m\.10010\.com】$/);
    log('CXLL from the handset panel shows the 10010 reply: ' + reply);
    // Live: a change made elsewhere (here: a top-up through the admin API) shows up without a reload.
    const outside = await fetch(SIM + '/_sim/cards/' + normal.iccid + '/actions', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ action: 'top_up', amount_fen: 100 }),
    });
    assert.ok(outside.ok);
    const liveBalance = '¥' + ((await outside.json()).balance_fen / 100).toFixed(2);
    await page.waitForFunction((b) => document.querySelector('[data-testid=card-balance]')?.textContent === b, liveBalance);
    log('a top-up made through the API appears on the open card page (' + liveBalance + ')');
    await page.getByRole('heading', { name: 'Card' }).first().scrollIntoViewIfNeeded();
    assert.deepEqual(await unlabelled(page), [], 'every control on the card page is labelled');
    await page.screenshot({ path: join(SHOTS, 'card.png'), fullPage: true });
    await axeCheck(page, 'the card page');

    // Keyboard: a quick-command button works from the keyboard.
    await page.getByRole('button', { name: '1071' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=handset-log] .msg.in').length >= 2);
    log('quick command 1071 sent with the keyboard gets a reply');

    // ---- Charts agree with the meter: the near-quota CUCC card (opening
    // usage from the fixture) over two simulated days in which its trace
    // uses it up and auto-stop suspends it.
    const nearQuota = (await adminGet('/cards?carrier=cucc&tag=near-quota')).items[0];
    await openView(page, '#/card/' + nearQuota.iccid, '[data-testid=cumulative-chart] circle');
    const advanced = await fetch(SIM + '/_sim/clock', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ advance: '2d' }) });
    assert.ok(advanced.ok);
    const nq = await adminGet('/cards/' + nearQuota.iccid);
    await page.waitForFunction((n) => Number([...document.querySelectorAll('[data-testid=cumulative-chart] circle')].pop()?.dataset.value) === n, nq.usage.data_bytes);
    assert.match(await page.locator('#c-usage').locator('..').textContent(), new RegExp(bytes(nq.usage.data_bytes) + ' / '), 'the meter shows the same usage');
    const points = await page.$$eval('[data-testid=cumulative-chart] circle', (cs) => cs.map((c) => Number(c.dataset.value)));
    assert.equal(points[points.length - 1], nq.usage.data_bytes, `the cumulative line ${points} ends at the meter ${nq.usage.data_bytes} (${JSON.stringify(nq.daily_usage)})`);
    // The fixture's opening usage is spread over the cycle's days before the
    // simulated start (docs/rules.md), so the line starts at zero on the
    // cycle's first day and climbs through those days.
    assert.equal(points[0], 0, `the line starts at zero: ${points}`);
    assert.ok(points.slice(1, 24).some((v) => v > 0), `the opening usage shows on the days before the start: ${points}`);
    const dayTitles = await page.$$eval('[data-testid=daily-chart] rect title', (ts) => ts.map((t) => t.textContent.slice(0, 10)));
    const today = (await adminGet('/clock')).now.slice(0, 10);
    assert.equal(dayTitles[dayTitles.length - 1], today, 'the per-day bars reach today');
    for (let i = 1; i < dayTitles.length; i++) {
      assert.equal(Date.parse(dayTitles[i]) - Date.parse(dayTitles[i - 1]), 86400e3, `no day is skipped (${dayTitles[i - 1]} → ${dayTitles[i]})`);
    }
    const [labelBox, svgBox] = await page.evaluate(() => {
      const l = document.querySelector('[data-testid=allowance-label]').getBoundingClientRect();
      const s = document.querySelector('[data-testid=cumulative-chart] svg').getBoundingClientRect();
      return [[l.top, l.bottom, l.left, l.right], [s.top, s.bottom, s.left, s.right]];
    });
    assert.ok(labelBox[0] >= svgBox[0] && labelBox[1] <= svgBox[1] && labelBox[3] <= svgBox[3] + 0.5, 'the allowance label is inside the chart');
    log(`near-quota card: the cumulative line ends at the meter (${bytes(nq.usage.data_bytes)}, state ${nq.state}), ${dayTitles.length} consecutive days of bars, allowance label inside the chart`);
    await page.screenshot({ path: join(SHOTS, 'card-near-quota.png'), fullPage: true });
    await page.goto(SIM + '/_sim/ui#/card/' + normal.iccid);
    await page.waitForFunction((i) => document.querySelector('main h1')?.textContent.includes(i), normal.iccid);

    // ---- Clock: past month end.
    const before = await adminGet('/clock');
    await page.getByRole('link', { name: 'Clock' }).click();
    await page.waitForSelector('[data-testid=clock-now]');
    assert.equal(await page.getByTestId('clock-now').textContent(), before.now.replace('T', ' ').replace('+08:00', ''));
    await page.getByRole('button', { name: 'Past month end' }).click();
    await page.waitForFunction((c) => !document.querySelector('[data-testid=clock-meta]')?.textContent.includes('Cycle ' + c), before.cycle);
    const after = await adminGet('/clock');
    assert.notEqual(after.cycle, before.cycle);
    const y = Number(before.now.slice(0, 4)), m = Number(before.now.slice(5, 7));
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    assert.equal(after.now, `${next}-01T00:01:00+08:00`);
    assert.equal(await page.getByTestId('clock-now').textContent(), `${next}-01 00:01:00`);
    assert.match(await page.getByTestId('clock-meta').textContent(), new RegExp('Cycle ' + after.cycle));
    await page.waitForFunction((t) => document.querySelector('[data-testid=header-now]')?.textContent === t, `${next}-01 00:01:00`);
    await page.waitForFunction(() => /monthly fee|charged/.test(document.querySelector('[data-testid=clock-events]')?.textContent || ''));
    log(`"Past month end" moves the clock to ${after.now}; header, cycle and event list follow`);
    assert.deepEqual(await unlabelled(page), [], 'every control on the clock page is labelled');
    await page.screenshot({ path: join(SHOTS, 'clock.png'), fullPage: true });
    await axeCheck(page, 'the clock page');

    // Back on the card: the new cycle's monthly fee is in the ledger; usage starts again.
    await page.goBack();
    await page.waitForFunction((i) => document.querySelector('main h1')?.textContent.includes(i), normal.iccid);
    const card = await adminGet('/cards/' + normal.iccid);
    assert.equal(card.cycle, after.cycle);
    const ledgerText = await page.getByRole('table', { name: /Ledger/ }).textContent();
    assert.match(ledgerText, /monthly fee/);
    assert.equal(await page.getByTestId('card-balance').textContent(), '¥' + (card.balance_fen / 100).toFixed(2));
    assert.match(await page.getByTestId('card-state').textContent(), /suspended/);
    log('after the rollover the card page shows the monthly fee and the new balance ' + (card.balance_fen / 100).toFixed(2));
    if (card.daily_usage.length) {
      await page.getByRole('img', { name: /Data used per day/ }).waitFor();
      log('the per-day usage chart is drawn from daily_usage (' + card.daily_usage.length + ' days)');
    }
    await page.screenshot({ path: join(SHOTS, 'card-after-rollover.png'), fullPage: true });

    // ---- Overview
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.waitForSelector('[data-testid=total-cards]');
    assert.equal(await page.getByTestId('total-cards').textContent(), String(world.total));
    for (const [c, s] of [['cucc', 'suspended'], ['cmcc', 'active'], ['ctcc', 'cancelled']]) {
      const n = (await adminGet(`/cards?carrier=${c}&state=${s}&page_size=1`)).total;
      assert.equal(await page.getByTestId(`count-${c}-${s}`).textContent(), String(n), `${c}/${s}`);
    }
    await page.getByRole('img', { name: 'Events per hour' }).waitFor();
    await page.getByRole('img', { name: 'Cards per carrier, by state' }).waitFor();
    log('overview counts match the cards API; charts drawn');
    assert.deepEqual(await unlabelled(page), [], 'every control on the overview page is labelled');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    await axeCheck(page, 'the overview after the rollover');

    // ---- Faults and journal (or "not available" when this build has none).
    const token = await fetch(SIM + '/v5/ec/get/token?appid=100001&password=cmcc-demo-pass&transid=1000012026120100010000000001');
    assert.ok(token.ok);
    await page.getByRole('link', { name: 'Faults & journal' }).click();
    await page.getByRole('heading', { name: 'Faults', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Recent carrier-API requests' }).waitFor();
    const faultsThere = (await fetch(SIM + '/_sim/faults')).ok;
    const journalThere = (await fetch(SIM + '/_sim/requests?limit=1')).ok;
    if (faultsThere) {
      await page.getByRole('button', { name: 'Add fault' }).click();
      await page.waitForSelector('[data-testid=faults-table]');
      const rules = (await adminGet('/faults')).items;
      assert.equal(rules.length, 1);
      assert.match(await page.getByTestId('faults-table').textContent(), new RegExp(rules[0].id + '.*ctcc.*carrier_error.*too_frequent'));
      log(`a fault added on the page (${rules[0].id}) is listed by the page and the API`);
      await page.screenshot({ path: join(SHOTS, 'faults.png'), fullPage: true });
      await page.getByRole('button', { name: 'Remove fault ' + rules[0].id }).click();
      await page.waitForSelector('[data-testid=no-faults]');
      assert.equal((await adminGet('/faults')).items.length, 0);
      log('Remove deletes it');
    } else {
      await page.getByText('Fault injection: not available').waitFor();
      log('faults: shown as not available');
    }
    if (journalThere) {
      const entry = page.getByTestId('journal').locator('li').first();
      assert.match(await entry.locator('summary').textContent(), /GET \/v5\/ec\/get\/token → 200 · cmcc · cmcc-demo/);
      await entry.locator('summary').click();
      const detail = await entry.textContent();
      assert.match(detail, /password\s*\*\*\*/, 'secrets are masked');
      assert.doesNotMatch(detail, /cmcc-demo-pass/);
      assert.match(detail, /"token"/);
      log('the journal shows the CMCC token request with its masked password and its response');
      if (!faultsThere) await page.screenshot({ path: join(SHOTS, 'faults.png'), fullPage: true });
    } else {
      await page.getByText('The request journal: not available').waitFor();
      log('journal: shown as not available');
    }

    assert.deepEqual(await unlabelled(page), [], 'every control on the faults page is labelled');
    log('every form control on every page has a label');

    // ---- Keyboard: the skip link comes first and the navigation is reachable.
    await axeCheck(page, 'the faults and journal page');
    await page.goto(SIM + '/_sim/ui#/fleet');
    await page.reload();
    await page.waitForSelector('[data-testid=fleet-table]');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    log('first Tab lands on the skip link');

    // ---- Clock running at speed: the page follows it live, then freezes.
    await page.getByRole('link', { name: 'Clock' }).click();
    await page.waitForSelector('[data-testid=clock-now]');
    const frozenAt = await page.getByTestId('clock-now').textContent();
    await page.getByLabel('Speed (simulated seconds per real second)').fill('600');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForFunction(() => /running at ×600/.test(document.querySelector('[data-testid=clock-meta]').textContent));
    await page.waitForFunction((t) => document.querySelector('[data-testid=clock-now]').textContent > t
      && document.querySelector('[data-testid=header-now]').textContent > t, frozenAt);
    await page.getByRole('button', { name: 'Freeze' }).click();
    await page.waitForFunction(() => /frozen$/.test(document.querySelector('[data-testid=clock-meta]').textContent));
    await page.waitForFunction(() => /^Freeze: now /.test(document.querySelector('[data-testid=clock-result]').textContent));
    const stopped = await adminGet('/clock');
    assert.equal(stopped.mode, 'frozen');
    assert.ok(stopped.now > after.now);
    // The reply, the result line, the big clock and the header all say the
    // frozen time, and a read a second later says it too.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await adminGet('/clock');
    assert.equal(later.now, stopped.now, 'the clock stays where it froze');
    const shown = when(stopped.now);
    assert.match(await page.getByTestId('clock-result').textContent(), new RegExp('^Freeze: now ' + shown));
    assert.equal(await page.getByTestId('clock-now').textContent(), shown);
    assert.equal(await page.getByTestId('header-now').textContent(), shown);
    log(`Run at ×600 moves the shown time on its own (to ${stopped.now}); Freeze stops it`);

    // ---- Fleet at scale: 100 new cards, filtered by tag, selected and stopped in bulk.
    for (let i = 0; i < 100; i++) {
      const serial = 7700000 + i;
      const body = '898600' + String(serial).padStart(13, '0');
      const made = await adminSend('POST', '/cards', {
        iccid: body + luhn(body), imsi: '46004' + String(serial).padStart(10, '0'), msisdn: '1440' + String(serial).padStart(9, '0'),
        account: 'cmcc-demo', plan: 'cmcc-1g', state: 'active', balance_fen: 5000 + i * 10, tags: ['bulk-demo'],
      });
      assert.equal(made.status, 201, `card ${i} created`);
    }
    await openView(page, '#/fleet', '[data-testid=fleet-table] tbody tr');
    const offered = await page.$$eval('#tag-list option', (os) => os.map((o) => o.value));
    assert.ok(offered.includes('bulk-demo') && offered.includes('normal'), `the tag box offers the fleet's tags (${offered})`);
    await page.getByLabel('Tag', { exact: true }).fill('bulk-demo');
    await page.getByLabel('Per page').selectOption('100');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=fleet-range]')?.textContent.includes('of 100 '));
    assert.equal(await page.locator('[data-testid=fleet-table] tbody tr').count(), 100);
    assert.equal(await page.locator('[data-testid=fleet-table] tbody td[data-testid=tags]').first().textContent(), 'bulk-demo');
    await page.getByLabel('Select every card on this page').check();
    await page.waitForFunction(() => document.querySelector('[data-testid=selection-count]')?.textContent === '100 selected');
    await page.screenshot({ path: join(SHOTS, 'fleet-bulk.png') });
    await axeCheck(page, 'the fleet with 100 cards selected');
    await page.getByTestId('bulk-bar').getByRole('button', { name: 'Stop', exact: true }).click();
    await page.waitForFunction(() => /^Stop: 100 matched, 100 changed, 0 refused\./.test(document.querySelector('[data-testid=bulk-result]')?.textContent || ''));
    assert.equal((await adminGet('/cards?tag=bulk-demo&state=suspended&reason=manual&page_size=1')).total, 100);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=fleet-table] tbody tr')].every((r) => /suspended/.test(r.textContent)));
    log('a bulk Stop of the 100 cards filtered by tag suspends all of them (page and API agree)');

    // Filters by reason, plan and pool, and the at-risk filter, agree with the API.
    for (const [label, value, key] of [['Reason', 'manual', 'reason'], ['Plan', 'cmcc-1g', 'plan'], ['At risk', 'near_quota', 'risk']]) {
      await openView(page, '#/fleet', '[data-testid=fleet-table] tbody tr');
      await page.getByLabel(label, { exact: true }).selectOption(value);
      await page.getByRole('button', { name: 'Filter' }).click();
      const want = (await adminGet(`/cards?${key}=${value}&page_size=1`)).total;
      await page.waitForFunction(([k, w]) => location.hash.includes(k) && (w === 0 ? /^No cards match/ : new RegExp(` of ${w} `)).test(document.querySelector('[data-testid=fleet-range]')?.textContent), [key + '=' + value, want])
        .catch(async (e) => { throw new Error(`${label}=${value}: want ${want}, page ${page.url()} shows "${await page.getByTestId('fleet-range').textContent()}" (${e.message})`); });
    }
    const pooled = (await adminGet('/pools')).items[0];
    await openView(page, '#/fleet', '[data-testid=fleet-table] tbody tr');
    await page.getByLabel('Pool', { exact: true }).selectOption(pooled.id);
    await page.getByRole('button', { name: 'Filter' }).click();
    const inPool = (await adminGet(`/cards?pool=${pooled.id}&page_size=1`)).total;
    await page.waitForFunction((w) => document.querySelector('[data-testid=fleet-range]')?.textContent.includes(`of ${w} `) || (w === 0 && /No cards/.test(document.querySelector('[data-testid=fleet-range]')?.textContent)), inPool);
    log(`filters by reason, plan, pool (${inPool} cards) and risk agree with the API`);

    // Sort by usage, largest first; jump to a page; search ignoring spaces and +86.
    await openView(page, '#/fleet?sort=usage&order=desc&page_size=25', '[data-testid=fleet-table] tbody tr');
    const biggest = (await adminGet('/cards?sort=usage&order=desc&page_size=1')).items[0];
    assert.equal(await page.locator('[data-testid=fleet-table] tbody tr').first().getAttribute('data-iccid'), biggest.iccid);
    await page.getByLabel('Jump to page').fill('3');
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=fleet-range]')?.textContent.startsWith('Cards 51–75 '));
    assert.match(page.url(), /sort=usage/);
    const spaced = '+86 ' + normal.msisdn.replace(/^(\d{3})(\d{4})(\d+)$/, '$1 $2 $3');
    await page.getByLabel('ICCID, MSISDN or IMSI').fill(spaced);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForSelector(`[data-testid=fleet-table] tr[data-iccid="${normal.iccid}"]`);
    log(`sort by usage puts ${biggest.iccid} first; "Jump to page" 3 shows cards 51–75; "${spaced}" finds the card`);

    // CSV export of the filtered fleet.
    await openView(page, '#/fleet?tag=bulk-demo', '[data-testid=fleet-table] tbody tr');
    const [csvFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const csvText = readFileSync(await csvFile.path(), 'utf8').trim().split('\n');
    assert.equal(csvFile.suggestedFilename(), 'cards.csv');
    assert.match(csvText[0], /^iccid,msisdn,imsi,carrier/);
    assert.equal(csvText.length - 1, 100, 'one CSV row per filtered card');
    log('CSV export of the filtered fleet: a header and 100 rows');

    // ---- Overview: per-carrier totals and the at-risk lists agree with the API.
    await openView(page, '#/overview', '[data-testid=totals-table]');
    const totals = await adminGet('/cards/totals');
    for (const c of ['cmcc', 'cucc', 'ctcc', 'all']) {
      const t = c === 'all' ? totals.all : totals.carriers[c];
      const cells = await page.$$eval(`[data-testid=totals-${c}] td`, (tds) => tds.map((x) => x.textContent));
      assert.equal(cells[0], String(t.cards), `${c} cards`);
      assert.equal(cells[1], bytes(t.data_bytes), `${c} data`);
    }
    for (const r of ['near_quota', 'low_balance', 'expiring']) {
      const n = (await adminGet(`/cards?risk=${r}&page_size=1`)).total;
      assert.match(await page.getByTestId('risk-' + r).locator('h3').textContent(), new RegExp(`\\(${n}\\)$`), r);
    }
    await page.screenshot({ path: join(SHOTS, 'overview-totals.png'), fullPage: true });
    log(`overview totals per carrier match /cards/totals (${totals.all.cards} cards); at-risk lists match the risk filter`);

    // ---- Clock page: the event list filtered by card, type and carrier.
    await openView(page, '#/clock', '[data-testid=clock-now]');
    await page.getByLabel('Card (ICCID, MSISDN or IMSI)').fill(nearQuota.iccid);
    await page.getByRole('button', { name: 'Show events' }).click();
    await page.waitForFunction((i) => location.hash.includes(i), nearQuota.iccid);
    await settled(page);
    await page.waitForSelector('[data-testid=clock-events] li');
    const cardsShown = await page.$$eval('[data-testid=clock-events] li', (ls) => ls.map((l) => l.dataset.iccid));
    assert.ok(cardsShown.every((i) => i === nearQuota.iccid), 'only that card\'s events');
    const nqText = await page.getByTestId('clock-events').textContent();
    assert.match(nqText, /over quota/, 'the timeline says "over quota"');
    assert.doesNotMatch(nqText, /over_quota|data_bytes|balance_fen/, 'no raw field names');
    await page.getByLabel('Event type').selectOption('state_changed');
    await page.getByRole('button', { name: 'Show events' }).click();
    await page.waitForFunction(() => location.hash.includes('type=state_changed'));
    await settled(page);
    await page.waitForSelector('[data-testid=clock-events] li');
    assert.ok((await page.$$eval('[data-testid=clock-events] li', (ls) => ls.map((l) => l.dataset.type))).every((x) => x === 'state_changed'));
    await openView(page, '#/clock?carrier=ctcc', '[data-testid=clock-events] li, [data-testid=no-events]');
    const ctccCards = new Set((await adminGet('/cards?carrier=ctcc&page_size=1000')).items.map((c) => c.iccid));
    const shownCtcc = await page.$$eval('[data-testid=clock-events] li', (ls) => ls.map((l) => l.dataset.iccid));
    assert.ok(shownCtcc.every((i) => ctccCards.has(i)), 'only CTCC cards\' events');
    await page.screenshot({ path: join(SHOTS, 'clock-filtered.png'), fullPage: true });
    log(`the clock page filters events by card (${cardsShown.length}), type and carrier (${shownCtcc.length} CTCC events); the timeline is in words`);

    // ---- Live request inspector.
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: SIM });
    await openView(page, '#/faults', '[data-testid=journal-live-state]');
    await page.waitForFunction(() => document.querySelector('[data-testid=journal-live-state]').textContent === '(following)');
    // The fault form keeps what was typed: after a refusal and after Add.
    const typed = '{"carrier": "ctcc", "kind": "carrier_error", "error": "too_frequent", "count": 1, "endpoint": "/m2m_ec/"}';
    await page.getByLabel('New fault rule (JSON)').fill(typed.slice(0, -1));
    await page.getByRole('button', { name: 'Add fault' }).click();
    await page.waitForFunction(() => /^Not JSON/.test(document.querySelector('[data-testid=fault-result]').textContent));
    assert.equal(await page.getByLabel('New fault rule (JSON)').inputValue(), typed.slice(0, -1), 'kept after a refusal');
    await page.getByLabel('New fault rule (JSON)').fill(typed);
    await page.getByRole('button', { name: 'Add fault' }).click();
    await page.waitForSelector('[data-testid=faults-table]');
    assert.equal(await page.getByLabel('New fault rule (JSON)').inputValue(), typed, 'kept after Add');
    await page.waitForFunction(() => document.querySelector('[data-testid=journal-live-state]')?.textContent === '(following)');
    // A CTCC request answered "too frequent" (HTTP 200) appears without a click, marked as an error.
    const ctccUrl = SIM + '/m2m_ec/query.do?method=queryTraffic&user_id=u&access_number=' + (await adminGet('/cards?carrier=ctcc&tag=normal')).items[0].msisdn;
    const tooFrequent = await fetch(ctccUrl, { headers: { 'X-Request-Id': 'inspector-demo' } });
    assert.equal(tooFrequent.status, 200);
    const tfBody = await tooFrequent.text();
    assert.match(tfBody, /^101004：/);
    const tfRec = (await adminGet('/requests?carrier=ctcc')).items.pop();
    await page.waitForSelector(`#req-${tfRec.seq}`);
    const tfSummary = await page.locator(`#req-${tfRec.seq} summary`).textContent();
    assert.match(tfSummary, new RegExp(`#${tfRec.seq} `), 'sequence number');
    assert.match(tfSummary, /\(\d\d:\d\d:\d\d(\.\d{3})?\)/, 'wall-clock time beside the simulated time');
    assert.match(tfSummary, /→ 200/);
    assert.match(await page.locator(`#req-${tfRec.seq} [data-testid=carrier-result]`).textContent(), /carrier error 101004/);
    log(`the journal shows request #${tfRec.seq} live (no click): HTTP 200 but "carrier error 101004"`);
    // A second request: the count-1 rule retires; its firing stays in the history.
    await fetch(ctccUrl, { headers: { 'X-Request-Id': 'inspector-demo-2' } });
    const secondRec = (await adminGet('/requests?carrier=ctcc')).items.pop();
    await page.waitForSelector(`#req-${secondRec.seq}`);
    await openView(page, '#/faults?carrier=ctcc', '[data-testid=fired-table]');
    await page.waitForSelector('[data-testid=no-faults]');
    assert.match(await page.getByTestId('fired-table').textContent(), new RegExp(`#${tfRec.seq}.*fault-\\d+.*carrier_error too_frequent · count 1.*/m2m_ec/query.do`));
    log('after the count-1 rule retired, "Faults that fired" still lists it with its request');
    // Headers, copy as curl, and the diff of the two requests.
    await page.locator(`#req-${tfRec.seq} summary`).click();
    const detail = page.locator(`#req-${tfRec.seq}`);
    await detail.getByRole('table', { name: 'Request headers (secrets masked)' }).waitFor();
    assert.match(await detail.getByRole('table', { name: 'Request headers (secrets masked)' }).textContent(), /x-request-id\s*inspector-demo/);
    assert.match(await detail.getByRole('table', { name: 'Response headers' }).textContent(), /content-type/);
    await detail.getByRole('button', { name: 'Copy as curl' }).click();
    await page.waitForFunction((s) => /Copied|Select/.test(document.querySelector(`#req-${s} .req .result`).textContent), tfRec.seq);
    const curl = await detail.locator('textarea').inputValue();
    assert.match(curl, /^curl -X GET -H 'x-request-id: inspector-demo'/);
    assert.ok(curl.includes("'" + SIM + '/m2m_ec/query.do?method=queryTraffic&user_id=u&access_number='), curl);
    const clip = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
    if (clip !== null) assert.equal(clip, curl);
    await page.getByLabel(`Compare request #${tfRec.seq}`).check();
    await page.getByLabel(`Compare request #${secondRec.seq}`).check();
    await page.waitForFunction(() => /lines differ/.test(document.querySelector('[data-testid=request-diff]')?.textContent || ''));
    const diffText = await page.getByTestId('diff-lines').textContent();
    assert.match(diffText, /- request header x-request-id: inspector-demo\n/);
    assert.match(diffText, /\+ request header x-request-id: inspector-demo-2\n/);
    assert.match(diffText, /- body 101004：/);
    await page.screenshot({ path: join(SHOTS, 'inspector.png'), fullPage: true });
    await axeCheck(page, 'the inspector with a request open and a diff');
    log(`request headers, copy-as-curl (${clip === null ? 'shown' : 'clipboard'}) and the diff of #${tfRec.seq} and #${secondRec.seq} work`);

    // ---- Scenario controls on the card page (a CMCC card), then snapshot / restore / reset.
    const demo = (await adminGet('/cards?carrier=cmcc&tag=normal')).items[0];
    const demoPlan = (await adminGet('/plans')).items.find((p) => p.id === demo.plan);
    await openView(page, '#/card/' + demo.iccid);
    await page.getByRole('heading', { name: 'Scenario', exact: true }).waitFor();
    const scenario = page.getByTestId('scenario-result');
    const scenarioDone = async (re) => page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid=scenario-result]').textContent), re.source);
    await page.getByLabel('Snapshot name').fill('demo-start');
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    await scenarioDone(/^Snapshot "demo-start" taken\./);
    const snapClock = await adminGet('/clock');
    await page.getByLabel('Set balance to (yuan)').fill('5.00');
    await page.getByRole('button', { name: 'Set balance', exact: true }).click();
    await scenarioDone(/^Set balance: done/);
    assert.equal((await adminGet('/cards/' + demo.iccid)).balance_fen, 500);
    await page.waitForFunction(() => document.querySelector('[data-testid=card-balance]').textContent === '¥5.00');
    await page.getByLabel('Set usage to % of the allowance').fill('95');
    await page.getByRole('button', { name: 'Set usage', exact: true }).click();
    await scenarioDone(/^Set usage to 95 %: done/);
    const at95 = await adminGet('/cards/' + demo.iccid);
    assert.equal(at95.usage.data_bytes, Math.round(demoPlan.data_bytes * 0.95));
    assert.match(await scenario.textContent(), new RegExp(bytes(at95.usage.data_bytes).replace('.', '\\.') + ' used'));
    await page.getByRole('button', { name: 'Force arrears' }).click();
    await scenarioDone(/^Force arrears: done; the card is now suspended \(arrears\)/);
    assert.ok((await adminGet('/cards/' + demo.iccid)).reasons.includes('arrears'));
    const beforeRenew = await adminGet('/cards/' + demo.iccid);
    await page.getByRole('button', { name: 'Renew 12 months' }).click();
    // The card is in arrears: a renewal the balance cannot pay is refused
    // and changes nothing (docs/rules.md).
    await scenarioDone(/^Renew 12 months refused: /);
    const afterRenew = await adminGet('/cards/' + demo.iccid);
    assert.equal(afterRenew.balance_fen, beforeRenew.balance_fen);
    assert.equal(afterRenew.expires, beforeRenew.expires);
    await page.getByRole('button', { name: 'Expire now' }).click();
    await scenarioDone(/^Expire now: done/);
    const expired = await adminGet('/cards/' + demo.iccid);
    assert.ok(Date.parse(expired.expires) <= Date.parse((await adminGet('/clock')).now), 'the card\'s expiry has passed');
    assert.ok(expired.reasons.includes('expired') || expired.state !== 'active', `expired card: ${expired.state} ${expired.reasons}`);
    const beforeStep = await adminGet('/clock');
    await page.getByRole('button', { name: '+1 day', exact: true }).click();
    await scenarioDone(/^\+1 day: now /);
    assert.equal(Date.parse((await adminGet('/clock')).now) - Date.parse(beforeStep.now), 86400e3);
    await page.waitForFunction((t) => document.querySelector('[data-testid=header-now]').textContent === t, when((await adminGet('/clock')).now));
    await page.screenshot({ path: join(SHOTS, 'card-scenario.png'), fullPage: true });
    await page.getByRole('button', { name: 'Restore snapshot' }).click();
    await scenarioDone(/^Snapshot "demo-start" restored\./);
    const restored = await adminGet('/cards/' + demo.iccid);
    assert.equal(restored.balance_fen, demo.balance_fen);
    assert.equal(restored.state, 'active');
    assert.equal((await adminGet('/clock')).now, snapClock.now, 'the clock is back where the snapshot was taken');
    await page.waitForFunction((b) => document.querySelector('[data-testid=card-balance]').textContent === b, '¥' + (demo.balance_fen / 100).toFixed(2));
    await page.getByRole('button', { name: 'Reset world' }).click();
    await scenarioDone(/^The world is back to its fixture\./);
    assert.equal((await adminGet('/clock')).now, '2026-11-24T10:00:00+08:00');
    assert.equal((await adminGet('/cards?tag=bulk-demo&page_size=1')).total, 0);
    log('scenario controls: snapshot, set balance ¥5.00, usage 95 %, force arrears, renew, expire now, +1 day, restore, reset');

    // ---- Phone (390 × 844): no page scrolls sideways; the fleet keeps its state column.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [hash, ready] of [['#/overview', '[data-testid=events-per-hour]'], ['#/fleet', '[data-testid=fleet-table] tbody tr'],
      ['#/card/' + normal.iccid, '[data-testid=card-state]'], ['#/clock', '[data-testid=clock-now]'], ['#/faults', '#f-journal']]) {
      await openView(page, hash, ready);
      await noSidewaysScroll(page, hash);
      if (hash === '#/fleet') {
        const box = await page.getByRole('columnheader', { name: 'State' }).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the state column is on screen');
        await page.screenshot({ path: join(SHOTS, 'phone-fleet.png') });
      }
      if (hash.startsWith('#/card')) await page.screenshot({ path: join(SHOTS, 'phone-card.png') });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    log('on a 390 × 844 phone no page scrolls sideways and the fleet shows the state column');

    // ---- Dark mode (prefers-color-scheme) on every page, checked by axe-core.
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const [hash, ready] of [['#/overview', '[data-testid=events-per-hour]'], ['#/fleet', '[data-testid=fleet-table] tbody tr'],
      ['#/card/' + normal.iccid, '[data-testid=card-state]'], ['#/clock', '[data-testid=clock-now]'], ['#/faults', '#f-journal']]) {
      await openView(page, hash, ready);
      await axeCheck(page, hash + ' in dark mode');
    }
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(bg, 'rgb(246, 247, 249)', 'the dark theme is in force');
    await openView(page, '#/card/' + normal.iccid, '[data-testid=card-state]');
    await page.screenshot({ path: join(SHOTS, 'card-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    log('dark mode follows prefers-color-scheme; axe-core finds nothing on any page');

    // ---- Chinese: the default when the browser asks for it (locale zh-CN), switchable, axe-clean.
    const zhCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    await serveAssetsFromDisk(zhCtx);
    const zhPage = await zhCtx.newPage();
    zhPage.setDefaultTimeout(15000);
    watch(zhPage);
    await zhPage.goto(SIM + '/_sim/ui');
    await zhPage.waitForSelector('[data-testid=events-per-hour]');
    assert.equal(await zhPage.locator('main h1').textContent(), '总览');
    assert.equal(await zhPage.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.equal(await zhPage.getByRole('navigation', { name: '页面' }).getByRole('link', { name: '卡片' }).count(), 1);
    for (const [hash, ready, title] of [['#/overview', '[data-testid=events-per-hour]', '总览'], ['#/fleet', '[data-testid=fleet-table] tbody tr', '卡片'],
      ['#/card/' + normal.iccid, '[data-testid=card-state]', '卡 ' + normal.iccid], ['#/clock', '[data-testid=clock-now]', '时钟'], ['#/faults', '#f-journal', '故障注入与请求日志']]) {
      await openView(zhPage, hash, ready);
      assert.equal((await zhPage.locator('main h1').textContent()).trim(), title);
      await axeCheck(zhPage, hash + ' in Chinese');
      if (hash === '#/overview') await zhPage.screenshot({ path: join(SHOTS, 'overview-zh.png'), fullPage: true });
      if (hash.startsWith('#/card')) {
        assert.match(await zhPage.getByTestId('card-state').textContent(), /^正常/);
        await zhPage.screenshot({ path: join(SHOTS, 'card-zh.png'), fullPage: true });
        await zhPage.emulateMedia({ colorScheme: 'dark' });
        await axeCheck(zhPage, hash + ' in Chinese, dark');
        await zhPage.emulateMedia({ colorScheme: 'light' });
      }
    }
    await zhPage.getByLabel('语言').selectOption('en');
    await zhPage.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Faults and request journal');
    await zhPage.reload();
    await zhPage.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Faults and request journal');
    assert.equal(await zhPage.evaluate(() => document.documentElement.lang), 'en');
    await zhCtx.close();
    log('a browser asking for zh-CN gets the Chinese interface (axe-clean in light and dark); switching to English sticks');

    assert.deepEqual(problems, [], 'no script errors, failed or off-origin requests');
    log('no console errors and no off-origin requests');
    log(`axe-core ran ${axeRuns} times without finding a problem`);
    console.log(`1..${step}`);
  } finally {
    await browser.close();
  }
}

/** Bytes as the page shows them (1 GB = 1024 MB, 2 decimals). */
function bytes(n) {
  if (n >= 1073741824) return (n / 1073741824).toFixed(2) + ' GB';
  if (n >= 1048576) return (n / 1048576).toFixed(2) + ' MB';
  if (n >= 1024) return (n / 1024).toFixed(2) + ' KB';
  return n + ' B';
}

/** "2026-11-24T10:00:00+08:00" → "2026-11-24 10:00:00", as the page shows it. */
function when(t) {
  return t.replace('T', ' ').replace(/(\.\d+)?(\+08:00|Z)$/, '');
}

/**
 * With SIM_TOKEN set: the simulator requires an admin token. The static page
 * is fetched with the token (a stand-in for serving /_sim/ui openly, which
 * the page itself does not need the token for); the page's own API calls go
 * without it until the user types it into the token field.
 */
async function tokenScenario() {
  const profile = mkdtempSync(join(tmpdir(), 'carrier-sim-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: EXE, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
  await serveAssetsFromDisk(ctx);
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (process.env.DEBUG_CONSOLE) page.on('console', (m) => console.error('console: ' + m.text()));
    if (process.env.DEBUG_CONSOLE) page.on('response', (r) => console.error('response: ' + r.status() + ' ' + r.url()));
    if (!process.env.ASSETS_DIR) await page.route(/\/_sim\/ui(\/|$)/, (route) => route.continue({
      headers: { ...route.request().headers(), authorization: 'Bearer ' + process.env.SIM_TOKEN },
    }));
    await page.goto(SIM + '/_sim/ui#/fleet');
    await page.waitForFunction(() => /needs 'Authorization: Bearer <token>'/.test(document.querySelector('main').textContent));
    assert.ok(await page.locator('#token-form').isVisible());
    log('without the token the page asks for it and says why');
    await page.getByLabel('The admin plane wants a bearer token').fill('wrong');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.waitForFunction(() => /wrong admin token/.test(document.querySelector('main').textContent));
    assert.ok(await page.locator('#token-form').isVisible());
    log('a wrong token is refused and asked for again');
    await page.getByLabel('The admin plane wants a bearer token').fill(process.env.SIM_TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.waitForSelector('[data-testid=fleet-table] tbody tr');
    assert.ok(!(await page.locator('#token-form').isVisible()));
    const clock = await (await fetch(SIM + '/_sim/clock', { headers: { Authorization: 'Bearer ' + process.env.SIM_TOKEN } })).json();
    await page.waitForFunction((t) => document.querySelector('[data-testid=header-now]')?.textContent === t, clock.now.replace('T', ' ').replace('+08:00', ''))
      .catch(async (e) => { throw new Error(e.message + ' header shows ' + (await page.getByTestId('header-now').textContent()) + ', want ' + clock.now); });
    log('with the right token the fleet and the clock load');
    assert.deepEqual(errors, []);
    console.log(`1..${step}`);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

(process.env.SIM_TOKEN ? tokenScenario() : main()).catch((e) => {
  console.error('not ok - ' + (e.stack || e.message));
  process.exit(1);
});
