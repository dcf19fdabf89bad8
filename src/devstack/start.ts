import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/load';
import { prepareDemo } from './demo';
import { runStack } from './runStack';
import { StackBusy } from './stackLock';
import { StartRefused } from './startChecks';
import { startProgram, type StartOptions } from './startOptions';

/**
 * `npm start`: the whole stack on one machine, in paper mode by default. Temporal (an existing
 * server or the dev server with its Web UI), the exchange simulator, the worker, and one workflow
 * per configured symbol. Ctrl-C stops what this process started; the workflows stay durable in
 * data/temporal.db and resume on the next start. The parts: startOptions.ts (what it accepts),
 * startChecks.ts (what it refuses), paperExchange.ts, runStack.ts (the stack and its summary),
 * demo.ts (the --demo preset).
 */

async function main(argv: string[]): Promise<number> {
  const program = startProgram().exitOverride();
  let opts: StartOptions;
  try {
    program.parse(argv, { from: 'user' });
    opts = program.opts<StartOptions>();
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  try {
    if (opts.demo) {
      const explicit = new Set(['replaySpeed', 'replayFrom', 'uiPort'].filter((k) => ['cli', 'env'].includes(program.getOptionValueSource(k) ?? '')));
      const demo = await prepareDemo(opts, explicit, process.env);
      for (const line of demo.intro) console.log(line);
      opts = demo.opts;
    }
    await runStack(opts);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartRefused || err instanceof StackBusy) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    console.error(`error: ${(err as Error).message}`);
    if (process.env.DE_DEBUG) console.error(err);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
