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
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
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

let step = 0;
function log(msg) {
  step += 1;
  console.log(`ok ${step} - ${msg}`);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'carrier-sim-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: EXE,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  const problems = [];
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      // Probing for optional endpoints logs 404s and a refused action logs its 409; anything else is a bug.
      if (m.type() === 'error' && !/status of 40[49]/.test(m.text())) problems.push('console: ' + m.text());
    });
    page.on('requestfailed', (r) => {
      // Navigating away aborts what is in flight (the event stream, a page's loads): not a failure.
      const why = (r.failure() || {}).errorText || '';
      if (!why.includes('ERR_ABORTED')) problems.push(`request failed (${why}): ${r.url()}`);
    });
    page.on('response', (r) => {
      if (r.status() === 401 || r.status() === 403 || r.status() >= 500) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(SIM)) problems.push('off-origin request: ' + r.url());
    });

    // ---- Fleet
    const world = await adminGet('/cards?page_size=1');
    await page.goto(SIM + '/_sim/ui');
    await page.waitForSelector('[data-testid=fleet-table] tbody tr');
    assert.match(page.url(), /#\/fleet$/);
    assert.ok(!(await page.locator('#token-form').isVisible()), 'no token is asked for on an open admin plane');
    assert.equal(await page.locator('h1').textContent(), 'Fleet');
    const range = await page.getByTestId('fleet-range').textContent();
    assert.ok(range.includes(`of ${world.total}`), `fleet range "${range}" shows the total ${world.total}`);
    assert.equal(await page.locator('[data-testid=fleet-table] tbody tr').count(), Math.min(50, world.total));
    log(`fleet lists the first 50 of ${world.total} cards`);
    assert.deepEqual(await unlabelled(page), [], 'every control on the fleet page is labelled');
    await page.screenshot({ path: join(SHOTS, 'fleet.png') });

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
    assert.match(await page.getByTestId('action-result').textContent(), new RegExp('^Use data: done; the card is now active, balance .*' + usedText));
    log(`top-up shows ${toppedBalance}; use data shows ${usedText} used`);

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=card-state]')?.textContent.startsWith('suspended'));
    assert.match(await page.getByTestId('card-state').textContent(), /suspended \(manual\)/);
    const afterStop = await adminGet('/cards/' + normal.iccid);
    assert.equal(afterStop.state, 'suspended');
    assert.deepEqual(afterStop.reasons, ['manual']);
    assert.match(await page.getByTestId('card-events').textContent(), /state changed\s*active → suspended \(manual\)/);
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

    // Keyboard: a quick-command button works from the keyboard.
    await page.getByRole('button', { name: '1071' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=handset-log] .msg.in').length >= 2);
    log('quick command 1071 sent with the keyboard gets a reply');

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
    const stopped = await adminGet('/clock');
    assert.equal(stopped.mode, 'frozen');
    assert.ok(stopped.now > after.now);
    log(`Run at ×600 moves the shown time on its own (to ${stopped.now}); Freeze stops it`);

    assert.deepEqual(problems, [], 'no script errors, failed or off-origin requests');
    log('no console errors and no off-origin requests');
    console.log(`1..${step}`);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
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
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route(/\/_sim\/ui(\/|$)/, (route) => route.continue({
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
    await page.waitForFunction((t) => document.querySelector('[data-testid=header-now]')?.textContent === t, clock.now.replace('T', ' ').replace('+08:00', ''));
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
