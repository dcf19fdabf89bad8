import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, type TemporalServerHandle } from '../../src/devstack/temporalServer';
import { TASK_QUEUE } from '../../src/contract/ids';
import { devServerIn } from '../support/temporalEnv';

/** The standalone worker (npm run worker, the worker container): polls, then drains on SIGTERM. */
describe('standalone worker process (src/worker.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-worker-'));
  let server: TemporalServerHandle | undefined;

  before(async () => {
    server = await devServerIn(dir);
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('polls the task queue and stops cleanly on SIGTERM', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `symbols: [BTCUSDT]\nstrategist: { kind: rules }\ntrade_log: ${join(dir, 'log.csv')}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: PROJECT_ROOT,
      // the data folder in the temp dir: the worker's feed watch is there, not in the project's data/
      env: { ...process.env, TEMPORAL_ADDRESS: server!.address, TRADING_CONFIG: config, DE_DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // the real condition: the server sees a poller on our task queue
      let pollers = 0;
      for (let i = 0; i < 300 && pollers === 0 && child.exitCode === null; i++) {
        const tq = await server!.connection.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: TASK_QUEUE },
          taskQueueType: 1, // workflow
        });
        pollers = tq.pollers?.length ?? 0;
        if (pollers === 0) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(pollers > 0, `no worker polls ${TASK_QUEUE}:\n${out}`);
      assert.match(out, new RegExp(`worker: trading \\+ journal: polling ${TASK_QUEUE} and ${TASK_QUEUE}-journal on ${server!.address.replace(/\./g, "\\.")}`));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.match(out, /worker: SIGTERM received/);
      assert.match(out, /worker: stopped/);
      // the whole run's output: the SDK's INFO lines pass, its WARN that the journal's worker hosts no workflows (by design) does not
      assert.doesNotMatch(out, /No workflows registered/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
