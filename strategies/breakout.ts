import type { AiCommand } from '../src/domain/commands';
import type { Proposal, Strategist, StrategistRequest } from '../src/strategist/strategist';

/**
 * Example custom strategy for `npm run backtest -- --strategist ./strategies/breakout.ts`: a
 * channel breakout on the primary timeframe. It implements the same Strategist interface as the
 * rules and LLM strategists (src/strategist/strategist.ts); its commands are validated and carried
 * out exactly like theirs.
 *
 * No trade: the last close broke above the highest high of the `lookback` candles before it ->
 *           PLAN_TRADE LONG with a limit entry at the breakout level, the stop under the lowest low of
 *           the channel, one target at `rewardRisk` times the risk, `sizePercent` of equity.
 * PENDING:  cancel once the entry has rested `maxPendingCandles` candles unfilled.
 * ACTIVE:   nothing: the stop and target rest on the exchange.
 */
export class BreakoutStrategist implements Strategist {
  readonly kind = 'rules' as const;
  readonly description = 'breakout: channel breakout with a fixed reward:risk';

  constructor(
    readonly lookback = 16,
    readonly rewardRisk = 2,
    readonly sizePercent = 5,
    readonly maxPendingCandles = 4,
  ) {}

  async propose({ symbol, trade, snapshot }: StrategistRequest): Promise<Proposal> {
    return { ok: true, source: 'rules', command: this.command(symbol, trade, snapshot) };
  }

  private command(symbol: string, trade: StrategistRequest['trade'], snapshot: StrategistRequest['snapshot']): AiCommand {
    const primary = snapshot.timeframes[0];
    if (!primary) return { action: 'DO_NOTHING', reasoning: 'breakout: no candles' };
    const candles = primary.candles;
    if (trade?.status === 'PENDING') {
      const rested = candles.filter((c) => c.timestamp >= trade.createdAt).length;
      return rested >= this.maxPendingCandles
        ? { action: 'CANCEL_ORDER', order_id: trade.id, reasoning: `breakout: entry unfilled for ${rested} candles` }
        : { action: 'DO_NOTHING', reasoning: 'breakout: waiting for the entry' };
    }
    if (trade) return { action: 'DO_NOTHING', reasoning: 'breakout: position protected by its stop and target' };
    if (candles.length < this.lookback + 1) return { action: 'DO_NOTHING', reasoning: 'breakout: not enough history' };
    const last = candles[candles.length - 1]!;
    const channel = candles.slice(-this.lookback - 1, -1);
    const high = Math.max(...channel.map((c) => c.high));
    const low = Math.min(...channel.map((c) => c.low));
    if (!(last.close > high)) return { action: 'DO_NOTHING', reasoning: `breakout: close ${last.close} inside the channel ${low}..${high}` };
    const entry = high;
    const risk = entry - low;
    return {
      action: 'PLAN_TRADE',
      trade_setup: {
        symbol,
        direction: 'LONG',
        entry_price: entry,
        stop_loss_price: low,
        take_profit_prices: [Number((entry + this.rewardRisk * risk).toFixed(2))],
        position_size_percent: this.sizePercent,
      },
      reasoning: `breakout: close ${last.close} above the ${this.lookback}-candle high ${high}`,
    };
  }
}

export default BreakoutStrategist;
