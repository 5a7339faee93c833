// Drives the real npm client @china-carrier-iot-sdk/ctcc-cmp (option
// `rootEndpoint`) against a running carrier-sim. Usage:
//   node drive.js <rootEndpoint, e.g. http://127.0.0.1:8080/m2m_ec>
// Exits non-zero on the first failed expectation.
'use strict';
const assert = require('assert');
const { CtccCmpIotClient } = require('@china-carrier-iot-sdk/ctcc-cmp');
// The DES package the client uses, driven directly for methods the client
// does not wrap (an independent strEnc and natural ordering of sign values).
const { strEnc, naturalOrdering } = require('ctcc-cmp-des');

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

  // Raw calls signed with ctcc-cmp-des (GET query string and POST form).
  assert.strictEqual(strEnc('test', 'abc', 'def', 'ghi'), '41894168BD86A2CC');
  const raw = async (path, method, params, signValues, post) => {
    const all = {
      method,
      user_id: 'testuser',
      passWord: strEnc('test1234', 'abc', 'def', 'ghi'),
      sign: strEnc(naturalOrdering([...signValues, method, 'testuser', 'test1234']), 'abc', 'def', 'ghi'),
      ...params,
    };
    const qs = new URLSearchParams(all).toString();
    const res = post
      ? await fetch(rootEndpoint + path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: qs,
        })
      : await fetch(rootEndpoint + path + '?' + qs);
    assert.strictEqual(res.status, 200);
    return res.text();
  };
  let body = await raw('/query.do', 'singleCutNet', { access_number: NORMAL, action: 'ADD' }, [NORMAL, 'ADD']);
  assert.match(body, /<RspCode>0000<\/RspCode>/);
  body = await raw('/query.do', 'singleCutNet', { access_number: NORMAL, action: 'ADD' }, [NORMAL, 'ADD']);
  assert.match(body, /<RspCode>-9<\/RspCode>/);
  body = await raw('/app/serviceAccept.do', 'singleCutNet', { access_number: NORMAL, action: 'DEL' }, [NORMAL, 'DEL'], true);
  assert.match(body, /<RspCode>0000<\/RspCode>/);
  body = await raw('/query.do', 'queryPakage', { access_number: NORMAL }, [NORMAL]);
  assert.match(body, /<CUMULATION_TOTAL>1048576<\/CUMULATION_TOTAL>/);
  body = await raw('/query.do', 'getSIMList', { pageIndex: '2' }, [], true);
  assert.strictEqual(JSON.parse(body).description.simList.length, 7);
  body = await raw('/app/serviceAccept.do', 'IMEIReRecord', { access_number: NORMAL, action: 'ADD' }, [NORMAL, 'ADD'], true);
  assert.strictEqual(JSON.parse(body).Response.RspCode, '0000');
  // A sign over the wrong values is refused with -3.
  body = await raw('/query.do', 'queryPakage', { access_number: NORMAL }, ['14910000001']);
  assert.match(body, /^-3/);

  console.log('ctcc-cmp client: all checks passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
