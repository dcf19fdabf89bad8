import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { isConnectionRetry, OutageLogger } from '../../src/devstack/outageLogger';

/** what the SDK core forwards for a retried poll while the server is gone (fields as it sends them) */
const retry = (call: string, n: number): [LogLevel, string, LogMetadata] => [
  'WARN',
  `gRPC call ${call} retried ${n} times`,
  {
    sdkComponent: 'core',
    target: 'temporalio_client::retry',
    error: 'Status { code: Unavailable, message: "tcp connect error", source: ConnectionRefused }',
  },
];

function collector() {
  const seen: Array<{ level: LogLevel; message: string }> = [];
  const log = (level: LogLevel, message: string) => seen.push({ level, message });
  const logger: Logger = {
    log,
    trace: (m) => log('TRACE', m),
    debug: (m) => log('DEBUG', m),
    info: (m) => log('INFO', m),
    warn: (m) => log('WARN', m),
    error: (m) => log('ERROR', m),
  };
  return { seen, logger };
}

describe('the outage logger', () => {
  it('recognises the core retry warnings and nothing else', () => {
    assert.equal(isConnectionRetry(...retry('poll_workflow_task_queue', 6)), true);
    assert.equal(isConnectionRetry('WARN', 'Activity failed', { attempt: 2 }), false);
    assert.equal(isConnectionRetry('INFO', 'tcp connect error', {}), false, 'only warnings and errors');
  });

  it('counts retries during an announced outage and prints one summary when it ends', () => {
    let now = 1_000_000;
    const printed: string[] = [];
    const down = collector();
    const logger = new OutageLogger(down.logger, { print: (l) => printed.push(l), now: () => now });
    logger.begin();
    for (let i = 0; i < 24; i++) {
      now += 500;
      logger.log(...retry(i % 2 ? 'poll_activity_task_queue' : 'poll_workflow_task_queue', 6 + i));
    }
    logger.warn('Workflow task failed', { workflowId: 'trader-BTCUSDT' });
    assert.deepEqual(printed, [], 'nothing streamed');
    assert.deepEqual(down.seen, [{ level: 'WARN', message: 'Workflow task failed' }], 'other warnings pass through');
    assert.equal(logger.end(), 'Temporal server unreachable for 12 s, 24 SDK retry warnings summarised');
    assert.equal(logger.end(), undefined, 'one summary per outage');
    // late echoes of the same outage are folded in silently
    now += 1_000;
    logger.log(...retry('poll_workflow_task_queue', 9));
    assert.deepEqual(printed, []);
    assert.equal(logger.inOutage, false);
  });

  it('announces an outage nobody announced (a server it did not start) once, and tells who can watch for its end', () => {
    let now = 0;
    const printed: string[] = [];
    let unannounced = 0;
    const logger = new OutageLogger(collector().logger, { print: (l) => printed.push(l), now: () => now, onUnannounced: () => unannounced++ });
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      logger.log(...retry('poll_workflow_task_queue', 6));
    }
    assert.equal(printed.length, 1);
    assert.match(printed[0]!, /Temporal server unreachable: the worker keeps retrying/);
    assert.equal(unannounced, 1);
    now += 3_000;
    assert.equal(logger.end(), 'Temporal server unreachable for 7 s, 5 SDK retry warnings summarised');
  });
});
