import type { AllActivities } from '../../src/activities';
import type { ExecuteAiCommandInput } from '../../src/activities/omsSteps';
import type { OmsResult, StrategistDecision } from '../../src/contract/results';
import { tradeIdFor } from '../../src/domain/newTrade';
import type { Trade } from '../../src/domain/trade';
import { realisticSnapshot } from './instantActivities';

/**
 * The trader's decision steps in the fill benches (fill-latency, stream-monitor), answering at once:
 * nothing to reconcile, a market snapshot of real size, and a fake strategist that plans a LONG
 * (entry 100, stop 95, `targets`) whenever the symbol has no trade. The plan is the bench
 * exchange's to place (`place`, given the trade's id); any other command is NOTHING_TO_DO.
 */
export function alwaysLong(
  targets: number[],
  place: (id: string, input: ExecuteAiCommandInput) => Promise<Trade>,
): Pick<AllActivities, 'reconcileSymbol' | 'fetchMarketData' | 'askStrategist' | 'executeAiCommand'> {
  return {
    reconcileSymbol: async (input) => ({ trade: input.trade, events: [], report: [] }),
    fetchMarketData: async (input) => realisticSnapshot(input.symbol),
    askStrategist: async (input): Promise<StrategistDecision> => ({
      command: input.trade
        ? { action: 'DO_NOTHING', reasoning: `${input.trade.id} is ${input.trade.status}` }
        : {
            action: 'PLAN_TRADE',
            trade_setup: { symbol: input.symbol, direction: 'LONG', entry_price: 100, stop_loss_price: 95, take_profit_prices: targets, position_size_percent: 5 },
            reasoning: 'bench: always in',
          },
      source: 'rules',
      accepted: true,
    }),
    executeAiCommand: async (input): Promise<OmsResult> => {
      if (input.command.action !== 'PLAN_TRADE' || input.trade) return { outcome: 'NOTHING_TO_DO', trade: input.trade, events: [], alerts: [] };
      return { outcome: 'EXECUTED', trade: await place(tradeIdFor(input.symbol, input.sequence), input), events: [], alerts: [] };
    },
  };
}
