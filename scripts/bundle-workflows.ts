/**
 * Prebuilds the workflow bundle (what the worker would otherwise bundle with webpack at every
 * start): `node --import tsx scripts/bundle-workflows.ts <out.js>`. The Docker image runs it at
 * build time and points the worker at the file with DE_WORKFLOW_BUNDLE.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../src/worker';

const out = process.argv[2];
if (!out) {
  console.error('usage: bundle-workflows.ts <out.js>');
  process.exit(2);
}
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
mkdirSync(dirname(resolve(out)), { recursive: true });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${code.length} bytes)`);
