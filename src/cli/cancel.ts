import { Command } from 'commander';
import { cancelEntryUpdate, cancelOrderSignal } from '../contract/signals';
import { CliError } from './errors';
import { firstLine, parseSymbol } from './context';
import { sendControl } from './controls';
import { withTemporal } from './session';
import { queryTraderState, runningTrader } from './traders';

export function cancelCommand(): Command {
  return new Command('cancel')
    .description("cancel a symbol's PENDING entry order and say what happened (an ACTIVE position is not cancelled: it keeps its protection)")
    .argument('<SYMBOL>', 'the symbol whose pending entry to cancel')
    .option('--reason <TEXT>', 'why (recorded in the trade log)', 'manual cancel from the CLI')
    .action(async (symbolArg: string, opts: { reason: string }, cmd: Command) => {
      const symbol = parseSymbol(symbolArg);
      await withTemporal(cmd, async ({ client, connection }) => {
        const { handle, running } = await runningTrader(client, symbol);
        if (!running) throw new CliError(`${symbol} is not running (workflow ${handle.workflowId} has ended)`);
        // the workflow checks there is a PENDING entry and cancels it in one step, then answers
        const answer = await sendControl(connection, handle, cancelEntryUpdate, { reason: opts.reason }, symbol);
        if (answer.kind === 'done') {
          console.log(`${symbol}: ${answer.outcome.message} (reason: ${opts.reason})`);
          if (answer.outcome.result !== 'CANCELLED') throw new CliError(`${symbol}: the entry was not cancelled`);
          return;
        }
        // a run from before the Update existed: the query-then-signal of old (the workflow re-checks)
        const state = await queryTraderState(connection, handle).catch((err) => {
          throw new CliError(`${symbol}: cannot read the trader's state (${firstLine(err)}); is a worker running?`);
        });
        const trade = state.trade;
        if (!trade || trade.status !== 'PENDING') {
          throw new CliError(`${symbol} has no PENDING entry to cancel` + (trade ? ` (trade ${trade.id} is ${trade.status})` : ' (no open trade)'));
        }
        await handle.signal(cancelOrderSignal, { reason: opts.reason });
        console.log(`${symbol}: cancel of trade ${trade.id} requested (reason: ${opts.reason}); this run predates answers, see: log ${symbol}`);
      });
    });
}
