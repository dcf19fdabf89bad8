import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';

/**
 * Workflow histories kept as fixtures: replay-histories.test.ts replays them against today's
 * workflow code, so a change that breaks determinism fails CI. Re-record them (after a deliberate,
 * patched() change, or to add a scenario) with:
 *
 *   RECORD_HISTORIES=1 node --import tsx --test test/integration/workflow-*.test.ts
 */
export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

export const recording = process.env.RECORD_HISTORIES === '1';

export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!recording) return;
  const history = await handle.fetchHistory();
  writeFileSync(`${HISTORIES_DIR}${name}.json`, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}

export function savedHistories(): Array<{ name: string; workflowId: string; history: History }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ''),
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(`${HISTORIES_DIR}${f}`, 'utf8'))),
    }));
}
