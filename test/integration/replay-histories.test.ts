import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporalEnv';
import { HISTORIES_DIR, recording, savedHistories } from '../support/temporalHistories';

/**
 * Histories recorded from the workflow tests (test/fixtures/histories, re-recorded with
 * RECORD_HISTORIES=1, see test/support/temporalHistories.ts) replay against today's workflow code.
 * A change to the workflows that is not behind patched() makes this fail.
 */

test('recorded histories replay without nondeterminism', { skip: recording && 'recording new histories' }, async () => {
  const histories = savedHistories();
  assert.ok(histories.length >= 4, `expected recorded histories in ${HISTORIES_DIR}`);
  const bundle = await workflowBundle();
  const results = Worker.runReplayHistories(
    { workflowBundle: bundle, replayName: 'fixtures' },
    histories.map(({ workflowId, history }) => ({ workflowId, history })),
  );
  const replayed: string[] = [];
  for await (const result of results) {
    assert.equal(result.error, undefined, `${result.workflowId} does not replay: ${result.error?.message}`);
    replayed.push(result.workflowId);
  }
  assert.deepEqual(replayed.sort(), histories.map((h) => h.workflowId).sort());
});

test('a workflow change that is not behind patched() is caught', { skip: recording && 'recording new histories' }, async () => {
  const histories = savedHistories();
  // As if the workflow had once started with a different step than it does today (reordered
  // activities): the first activity the history recorded is not the one the code schedules.
  const first = histories.find((h) => h.name.startsWith('trader-'));
  assert.ok(first, 'no recorded symbolTrader history');
  const scheduled = (first.history.events ?? []).find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
  assert.equal(scheduled?.activityType?.name, 'reconcileSymbol', 'a symbol workflow starts by reconciling');
  scheduled!.activityType = { name: 'fetchMarketData' };
  await assert.rejects(
    Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: 'mutated' }, first.history, first.workflowId),
    (err: unknown) => err instanceof DeterminismViolationError || (err as Error)?.name === 'DeterminismViolationError',
  );
});
