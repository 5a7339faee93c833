// carrier-sim from Node 20 (built-in fetch, no packages): for each carrier,
// authenticate, query a card's usage, stop and resume it, move the simulated
// clock two days, and check that the card was stopped for going over quota.
//
//   node walkthrough.mjs http://127.0.0.1:8080 [ADMIN_TOKEN]
//
// Throws (non-zero exit) when an answer changes shape.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

const BASE = (process.argv[2] ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const TOKEN = process.argv[3];

async function http(method, path, { query, body, headers } = {}) {
  const url = BASE + path + (query ? '?' + new URLSearchParams(query) : '');
  const res = await fetch(url, { method, body, headers });
  assert.ok(res.ok, `${method} ${path}: ${res.status}`);
  return res.text();
}

async function admin(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  return JSON.parse(await http(method, path, { body: body && JSON.stringify(body), headers }));
}

const nearQuota = async (carrier) =>
  (await admin('GET', `/_sim/cards?carrier=${carrier}&tag=near-quota`)).items[0];

const stamp = () => new Date().toISOString().replace(/\D/g, '').slice(0, 14);

// China Mobile OneLink v5: a token from /get/token, then transid + token.
async function cmcc(iccid) {
  let seq = 0;
  const transid = () => '100001' + stamp() + String(++seq).padStart(8, '0');
  const call = async (path, params) => {
    const answer = JSON.parse(await http('GET', '/v5/ec' + path, { query: { transid: transid(), ...params } }));
    assert.equal(answer.status, '0', JSON.stringify(answer));
    return answer.result;
  };
  const [{ token }] = await call('/get/token', { appid: '100001', password: 'cmcc-demo-pass' });
  const [usage] = await call('/query/sim-data-usage', { token, iccid });
  console.log('cmcc usage (KB):', usage.dataAmount);
  await call('/change/sim-status', { token, iccid, operType: '0' }); // stop
  assert.equal((await call('/query/sim-status', { token, iccid }))[0].cardStatus, '4');
  await call('/change/sim-status', { token, iccid, operType: '1' }); // resume
  assert.equal((await call('/query/sim-status', { token, iccid }))[0].cardStatus, '2');
}

// China Unicom Jasper REST: HTTP Basic with the REST API key.
async function cucc(iccid) {
  const headers = {
    Authorization: 'Basic ' + Buffer.from('cucc-demo:2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f').toString('base64'),
    Accept: 'application/json',
    'Content-Type': 'application/json',
  };
  const device = `/rws/api/v1/devices/${iccid}`;
  const usage = JSON.parse(await http('GET', device + '/ctdUsages', { headers }));
  console.log('cucc usage (bytes):', usage.ctdDataUsage);
  for (const status of ['DEACTIVATED', 'ACTIVATED']) {
    const edited = JSON.parse(await http('PUT', device, { body: JSON.stringify({ status }), headers }));
    assert.equal(edited.iccid, iccid);
    assert.equal(JSON.parse(await http('GET', device, { headers })).status, status);
  }
}

// China Telecom 5G CMP: AppKey, Timestamp, Sign = upper hex of the MD5 hex.
async function ctcc(accessNumber) {
  const call = (method, path, query, body = '') => {
    const ts = stamp();
    const params = Object.keys(query ?? {}).sort().map((k) => `${k}=${query[k]}`).join('&');
    const md5 = createHash('md5').update(params + body + 'testsecret' + ts).digest('hex');
    const headers = { AppKey: 'ctcc-5g-demo', Timestamp: ts, Sign: Buffer.from(md5).toString('hex').toUpperCase(),
      'Content-Type': 'application/json' };
    return http(method, path, { query, body: body || undefined, headers });
  };
  const flow = JSON.parse(await call('POST', '/api/v1/batchQry/batchQryFlowByMonth', undefined,
    JSON.stringify({ accessNumber: [accessNumber] })));
  assert.equal(flow.code, 0);
  console.log('ctcc usage (MB):', flow.data[0].flowAmount);
  for (const orderTypeId of ['19', '20']) { // 19 stop keeping the number, 20 resume
    const xml = await call('GET', '/5gcmp/openapi/v1/common/disabledNumberService',
      { access_number: accessNumber, acctCd: '', orderTypeId });
    assert.match(xml, /<result>0<\/result>/);
  }
  const status = JSON.parse(await call('GET', '/openapi/v1/prodinst/queryCardMainStatus', { access_number: accessNumber }));
  assert.equal(status.result, '0');
  assert.equal(status.productInfo[0].productMainStatusCd, '4'); // 在用
}

await admin('POST', '/_sim/reset', {});
const cards = {};
for (const c of ['cmcc', 'cucc', 'ctcc']) cards[c] = await nearQuota(c);
await cmcc(cards.cmcc.iccid);
await cucc(cards.cucc.iccid);
await ctcc(cards.ctcc.msisdn);
// Two simulated days: each near-quota card burns past its allowance.
await admin('POST', '/_sim/clock', { advance: '2d' });
for (const [carrier, card] of Object.entries(cards)) {
  const after = await admin('GET', `/_sim/cards/${card.iccid}`);
  assert.equal(after.state, 'suspended');
  assert.ok(after.reasons.includes('over_quota'), JSON.stringify(after));
  console.log(carrier, card.iccid, 'stopped:', after.reasons);
}
console.log('ok');
