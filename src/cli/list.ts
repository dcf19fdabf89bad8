import { Command, Option } from 'commander';
import { formatTable } from './context';
import { withTemporal } from './session';
import { listTraders, TRADE_STATUS_FILTERS } from './traders';

export function listCommand(): Command {
  return new Command('list')
    .description('list the symbol trader workflows (from Temporal visibility)')
    .option('--all', 'include ended runs')
    .addOption(new Option('--trade-status <STATUS>', 'only traders whose trade is in this status (search attribute TradeStatus)').choices(TRADE_STATUS_FILTERS))
    .action(async (opts: Parameters<typeof listTraders>[1] & {}, cmd: Command) => {
      await withTemporal(cmd, async ({ client }) => {
        const rows = await listTraders(client, opts);
        if (rows.length === 0) {
          console.log(
            opts.tradeStatus
              ? `no ${opts.all ? '' : 'running '}trader whose trade is ${opts.tradeStatus}`
              : opts.all
                ? 'no trader workflows'
                : 'no trader is running (see --all for ended ones)',
          );
          return;
        }
        console.log(
          formatTable(
            ['SYMBOL', 'WORKFLOW', 'STATUS', 'TRADE', 'MODE', 'STARTED'],
            rows.map((r) => [r.symbol, r.workflowId, r.status, r.tradeStatus, r.mode, r.startTime.toISOString()]),
          ),
        );
      });
    });
}
