import type { TradeLogRow } from '../domain/tradeLogRow';
import { tradeQuantities } from '../domain/stateMachine';
import { averageEntryPrice, type Trade } from '../domain/trade';

// Pure (no Temporal import): the workflow's trade log and the backtest's trades.csv share it.

/** What a trader reads across a row: levels, size and, once closed, the result. */
export function tradeColumns(trade: Trade): Partial<TradeLogRow> {
  const filled = tradeQuantities(trade).filled;
  return {
    direction: trade.direction,
    price: averageEntryPrice(trade) ?? trade.entryPrice,
    quantity: filled > 0 ? filled : trade.quantity,
    stopLoss: trade.stopLossPrice,
    takeProfits: trade.takeProfitPrices,
    ...(trade.realizedPnl !== undefined ? { pnl: trade.realizedPnl } : {}),
    ...(trade.fees !== undefined ? { fees: trade.fees } : {}),
  };
}
