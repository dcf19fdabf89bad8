import type { AiCommand } from '../../src/domain/commands';
import type { Trade } from '../../src/domain/trade';
import type { MarketSnapshot } from '../../src/strategist/marketSnapshot';
import type { Proposal, Strategist, StrategistRequest } from '../../src/strategist/strategist';

/**
 * A scripted strategist for the parity test: a pure function of the trade and the market, so both
 * paths get the same commands exactly when they see the same things. Tight levels make trades run
 * through every lifecycle within hours: an entry the market runs away from is cancelled
 * (PENDING -> CANCELLED), a position 0.3% in profit gets its stop moved to break-even (ADJUST), and
 * stops and targets are close enough to be hit (CLOSED by stop, CLOSED by target).
 * It records what it was shown and what it answered.
 */
export interface SeenDecision {
  at: number;
  snapshot: MarketSnapshot;
  trade: Pick<Trade, 'id' | 'status' | 'entryPrice' | 'stopLossPrice' | 'takeProfitPrices'> | null;
  command: AiCommand;
}

export class ParityStrategist implements Strategist {
  readonly kind = 'rules' as const;
  readonly description = 'parity script';
  readonly seen: SeenDecision[] = [];

  async propose({ symbol, trade, snapshot }: StrategistRequest): Promise<Proposal> {
    const command = scriptedCommand(symbol, trade, snapshot.last);
    this.seen.push(
      structuredClone({
        at: snapshot.at,
        snapshot,
        trade: trade ? { id: trade.id, status: trade.status, entryPrice: trade.entryPrice, stopLossPrice: trade.stopLossPrice, takeProfitPrices: trade.takeProfitPrices } : null,
        command,
      }),
    );
    return { ok: true, source: 'rules', command };
  }
}

const cents = (x: number) => Math.round(x * 100) / 100;

export function scriptedCommand(symbol: string, trade: Trade | null, last: number): AiCommand {
  if (!trade) {
    const entry = cents(last * 0.999);
    return {
      action: 'PLAN_TRADE',
      trade_setup: { symbol, direction: 'LONG', entry_price: entry, stop_loss_price: cents(entry * 0.996), take_profit_prices: [cents(entry * 1.0065)], position_size_percent: 5 },
      reasoning: 'script: buy 0.1% under the market',
    };
  }
  if (trade.status === 'PENDING') {
    return last > trade.entryPrice * 1.004
      ? { action: 'CANCEL_ORDER', order_id: trade.id, reasoning: 'script: the market ran away from the entry' }
      : { action: 'DO_NOTHING', reasoning: 'script: waiting for the entry' };
  }
  if (last >= trade.entryPrice * 1.003 && trade.stopLossPrice < trade.entryPrice) {
    return { action: 'ADJUST_TRADE', order_id: trade.id, new_stop_loss_price: trade.entryPrice, new_take_profit_prices: null, reasoning: 'script: stop to break-even' };
  }
  return { action: 'DO_NOTHING', reasoning: 'script: position protected' };
}
