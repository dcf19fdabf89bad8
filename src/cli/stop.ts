import { Command } from 'commander';
import { stopSignal, stopTraderUpdate } from '../contract/signals';
import { CliError, EXIT_USAGE } from './errors';
import { parseSymbol } from './context';
import { sendControl } from './controls';
import { withTemporal } from './session';
import { listTraders, runningTrader } from './traders';

interface StopOptions {
  all?: boolean;
  cancelPending?: boolean;
}

export function stopCommand(): Command {
  return new Command('stop')
    .description(
      "stop a symbol's trader after its current step and say how it ended; an ACTIVE position keeps its stop and targets on the exchange",
    )
    .argument('[SYMBOL]', 'the symbol to stop')
    .option('--all', 'stop every running trader')
    .option('--cancel-pending', 'also cancel a PENDING entry order before stopping')
    .action(async (symbolArg: string | undefined, opts: StopOptions, cmd: Command) => {
      if (!!symbolArg === !!opts.all) throw new CliError('stop needs a SYMBOL or --all (not both)', EXIT_USAGE);
      const symbol = symbolArg === undefined ? undefined : parseSymbol(symbolArg);
      await withTemporal(cmd, async ({ client, connection }) => {
        const symbols = symbol ? [symbol] : (await listTraders(client)).map((t) => t.symbol);
        if (symbols.length === 0) {
          console.log('no trader is running');
          return;
        }
        for (const s of symbols) {
          const { handle, running } = await runningTrader(client, s);
          if (!running) {
            if (symbol) throw new CliError(`${s} is not running (workflow ${handle.workflowId} has ended)`);
            continue;
          }
          const request = { cancelPending: !!opts.cancelPending };
          const answer = await sendControl(connection, handle, stopTraderUpdate, request, s);
          if (answer.kind === 'done') {
            console.log(`${s}: ${answer.outcome.message}`);
            continue;
          }
          await handle.signal(stopSignal, request);
          console.log(`${s}: stop requested${opts.cancelPending ? ' (a PENDING entry will be cancelled)' : ''}; this run predates answers, see: status ${s}`);
        }
      });
    });
}
