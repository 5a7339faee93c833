// `node --test carrier-sim.test.mjs`: a suite using the helper.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCarrierSim } from './carrier-sim.mjs';

let sim;
before(async () => { sim = await startCarrierSim({ token: 'suite-token' }); });
after(async () => { await sim.stop(); });

test('the simulator is ready and its admin plane needs the token', async () => {
  assert.equal((await fetch(`${sim.url}/_sim/ready`)).status, 200);
  assert.equal((await fetch(`${sim.url}/_sim/cards`)).status, 401);
  const cards = await fetch(`${sim.url}/_sim/cards?carrier=cucc`, {
    headers: { Authorization: `Bearer ${sim.token}` },
  });
  assert.ok((await cards.json()).total > 0);
});
