// A test helper for Node suites: start `carrier-sim serve` on a free port,
// wait until it is ready, and stop it afterwards (what a Testcontainers
// module does for LocalStack users).
//
//   import { startCarrierSim } from './carrier-sim.mjs';
//   const sim = await startCarrierSim({ token: 'secret' });   // sim.url, sim.token
//   ...
//   await sim.stop();
//
// The binary is `carrier-sim` on PATH, or CARRIER_SIM_BIN.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function startCarrierSim({ bin = process.env.CARRIER_SIM_BIN ?? 'carrier-sim', token, args = [] } = {}) {
  const env = { ...process.env };
  if (token) env.CARRIER_SIM_ADMIN_TOKEN = token;
  const child = spawn(bin, ['serve', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`carrier-sim exited with ${code}`)));
    lines.once('line', (line) => resolve(line.replace('carrier-sim listening on ', '').trim()));
  });
  lines.on('line', () => {}); // keep draining the banner
  return {
    url,
    token,
    stop: () => new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}
