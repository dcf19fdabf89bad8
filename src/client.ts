import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitAfterFlush } from './cli/exit';
import { runCli } from './cli/program';

/**
 * The CLI: `npm run cli -- <command>` or the `dynamic-executor` bin. Each command's logic lives in
 * src/cli/<command>.ts; this is only the entry. Exit codes: 0 ok, 1 failed, 2 bad input.
 */
export async function main(argv: readonly string[]): Promise<never> {
  const code = await runCli(argv);
  return exitAfterFlush(code);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
