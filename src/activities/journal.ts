import { ApplicationFailure } from '@temporalio/activity';
import { TradeLogError, type TradeLogEntry } from '../journal/tradeLog';
import type { ActivityDeps } from './deps';
import { makeScrub, scrubValue } from './failures';
import type { TradeLogRow, TradeLogRowDetails } from './types';

export type { TradeLogRowDetails };

/** appendTradeLog: the journal rows of one workflow step; idempotent by row id. */
export function journalActivities(deps: Pick<ActivityDeps, 'tradeLog' | 'secrets'>) {
  const scrub = makeScrub(deps.secrets);
  return {
    async appendTradeLog(input: { rows: Array<TradeLogRow & TradeLogRowDetails> }): Promise<void> {
      try {
        await deps.tradeLog.append(input.rows.map((row) => toEntry(scrubValue(row, scrub))));
      } catch (err) {
        // a malformed row or a damaged file will not get better by retrying; a full disk or an
        // I/O error may, and the retry cannot write a row twice
        const message = `appendTradeLog: ${scrub(err instanceof Error ? err.message : String(err))}`;
        if (err instanceof TradeLogError) throw ApplicationFailure.nonRetryable(message, 'TradeLogError');
        throw ApplicationFailure.retryable(message, (err as NodeJS.ErrnoException).code ?? 'TradeLogIOError');
      }
    },
  };
}

export function toEntry(row: TradeLogRow & TradeLogRowDetails): TradeLogEntry {
  return {
    rowId: row.id,
    time: row.at,
    symbol: row.symbol,
    kind: row.kind,
    tradeId: row.tradeId,
    action: row.action,
    status: row.status,
    direction: row.direction,
    side: row.side,
    orderType: row.orderType,
    price: row.price,
    quantity: row.quantity,
    stopLoss: row.stopLoss,
    takeProfits: row.takeProfits,
    pnl: row.pnl,
    fees: row.fees,
    clientOrderId: row.clientOrderId,
    exchangeOrderId: row.exchangeOrderId,
    detail: row.detail,
  };
}
