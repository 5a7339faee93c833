// Drives the real npm client @china-carrier-iot-sdk/ctcc-cmp (option
// `rootEndpoint`) against a running carrier-sim. Usage:
//   node drive.js <rootEndpoint, e.g. http://127.0.0.1:8080/m2m_ec>
// Exits non-zero on the first failed expectation.
'use strict';
const assert = require('assert');
const { CtccCmpIotClient } = require('@china-carrier-iot-sdk/ctcc-cmp');

const rootEndpoint = process.argv[2];
const NORMAL = '14910000000';
const ACTIVATION_READY = '14910000010';
const quiet = { log: async () => {} };

function client(password) {
  return new CtccCmpIotClient(
    { userId: 'testuser', password, key: 'abcdefghi', rootEndpoint },
    quiet,
  );
}

async function main() {
  const c = client('test1234');

  // queryTraffic (XML) → web:NEW_DATA_TICKET_QRsp.
  const usage = await c.getUsage(NORMAL);
  assert.strictEqual(usage.IRESULT, '0');
  assert.strictEqual(usage.TOTAL_BYTES_CNT, '356.20MB');
  assert.strictEqual(usage.number, NORMAL);
  assert.strictEqual(usage.GROUP_TRANSACTIONID.length, 28);

  // queryCardMainStatus (JSON).
  let st = await c.getStatus(NORMAL);
  assert.strictEqual(st.resultCode, '0');
  assert.strictEqual(st.productInfo[0].productMainStatusCd, '4');

  // disabledNumber 19 → 停机 (5), 20 → 在用 (4).
  let r = await c.setStatus(NORMAL, '19');
  assert.strictEqual(r.result, '0');
  st = await c.getStatus(NORMAL);
  assert.strictEqual(st.productInfo[0].productMainStatusCd, '5');
  r = await c.setStatus(NORMAL, '20');
  assert.strictEqual(r.result, '0');
  st = await c.getStatus(NORMAL);
  assert.strictEqual(st.productInfo[0].productMainStatusCd, '4');

  // A refused change comes back as plain text, which the client raises.
  await assert.rejects(() => c.setStatus(NORMAL, '20'), /无需办理复机/);

  // requestServActive (JSON) on an activation-ready card: 1 → 4.
  st = await c.getStatus(ACTIVATION_READY);
  assert.strictEqual(st.productInfo[0].productMainStatusCd, '1');
  r = await c.activateActivationReady(ACTIVATION_READY);
  assert.strictEqual(r.RESULT, '0');
  st = await c.getStatus(ACTIVATION_READY);
  assert.strictEqual(st.productInfo[0].productMainStatusCd, '4');

  // realNameQueryIot (XML): resultCode "0" = done.
  assert.strictEqual(await c.getRealNameStatus(NORMAL), true);
  assert.strictEqual(await c.getRealNameStatus(ACTIVATION_READY), false);

  // Wrong password: the plain-text "-1：..." body is surfaced as an error.
  await assert.rejects(() => client('wrongpass').getUsage(NORMAL), /-1/);

  console.log('ctcc-cmp client: all checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
