import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { WithoutJournalWorkerNotice } from '../../src/journalWorkerNotice';

const NOTICE = 'No workflows registered, not polling for workflow tasks';

function recorder(): Logger & { lines: Array<[LogLevel, string, LogMetadata | undefined]> } {
  const lines: Array<[LogLevel, string, LogMetadata | undefined]> = [];
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => void lines.push([level, message, meta]);
  return {
    lines,
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

describe("the SDK's logger without the journal worker's notice", () => {
  it("drops the SDK's warning that the journal's worker hosts no workflows", () => {
    const down = recorder();
    new WithoutJournalWorkerNotice(down, 'dynamic-executor-journal').warn(NOTICE, { sdkComponent: 'worker', taskQueue: 'dynamic-executor-journal' });
    assert.deepEqual(down.lines, []);
  });

  it('keeps the same warning for any other queue: a trading worker without its workflows is a mistake', () => {
    const down = recorder();
    new WithoutJournalWorkerNotice(down, 'dynamic-executor-journal').warn(NOTICE, { taskQueue: 'dynamic-executor' });
    assert.deepEqual(down.lines, [['WARN', NOTICE, { taskQueue: 'dynamic-executor' }]]);
  });

  it('passes everything else through unchanged, at its level', () => {
    const down = recorder();
    const log = new WithoutJournalWorkerNotice(down, 'q-journal');
    log.info('Worker state changed', { state: 'RUNNING', taskQueue: 'q-journal' });
    log.error('activity failed', { taskQueue: 'q-journal' });
    log.log('WARN', 'poll retry', { taskQueue: 'q-journal' });
    assert.deepEqual(
      down.lines.map(([level, message]) => `${level} ${message}`),
      ['INFO Worker state changed', 'ERROR activity failed', 'WARN poll retry'],
    );
  });
});
