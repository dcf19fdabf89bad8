import { Command } from 'commander';
import { registerSearchAttributes } from './searchAttributes';
import { SEARCH_ATTRIBUTE_KEYS } from '../contract/searchAttributes';
import { loadCliConfig, parseSymbol } from './context';
import { withTemporal } from './session';
import { configuredSymbols, startTraders } from './traders';

export function startCommand(): Command {
  return new Command('start')
    .description("start the symbols' trader workflows (and the order monitor); a running one is left as it is")
    .argument('[SYMBOL...]', 'symbols to start (default: every symbol of the config)')
    .action(async (args: string[], _opts, cmd: Command) => {
      const config = loadCliConfig();
      const symbols = configuredSymbols(config, args.map(parseSymbol));
      await withTemporal(cmd, async ({ client, connection }) => {
        // a fresh server (e.g. production's first start) may not know our keys yet
        await registerSearchAttributes(connection, client.options.namespace, SEARCH_ATTRIBUTE_KEYS);
        const { traders, monitor } = await startTraders(client, config, symbols);
        for (const t of traders) console.log(`${t.symbol}: ${t.outcome} (workflow ${t.workflowId}, ${config.exchange.mode} mode)`);
        console.log(`order monitor: ${monitor}`);
      });
    });
}
