import { stringify } from 'csv-stringify/sync';
import type { TradeLogKind, TradeLogRow } from '../domain/tradeLogRow';
import type { Trade } from '../domain/trade';
import { TRADE_LOG_COLUMNS } from '../journal/rows';
import { toCsvFields } from '../journal/rows';
import { oneLine } from '../workflows/describe';
import { tradeColumns } from '../workflows/tradeColumns';

export type JournalRow = TradeLogRow;

/**
 * The backtest's trade log: the rows the symbol workflow's TradeLog writes (same kinds, actions,
 * details and trade columns), stamped with the market clock. Row ids are
 * `backtest:<strategist>:<symbol>:<n>`, so the rows of several strategists share one file.
 */
export class BacktestJournal {
  readonly rows: JournalRow[] = [];
  #n = 0;

  constructor(
    private readonly prefix: string,
    private readonly symbol: string,
    private readonly clock: () => number,
    private readonly sequence: () => number,
  ) {}

  add(kind: TradeLogKind, detail: string, trade?: Trade, action?: string, sequence = this.sequence(), columns: Partial<TradeLogRow> = {}): void {
    this.rows.push({
      ...(trade ? { tradeId: trade.id, status: trade.status, ...tradeColumns(trade) } : {}),
      ...columns,
      id: `${this.prefix}:${this.symbol}:${this.#n++}`,
      at: columns.at ?? this.clock(),
      symbol: this.symbol,
      kind,
      sequence,
      ...(action ? { action } : {}),
      detail: oneLine(detail),
    });
  }
}

/** trades.csv: the trade log's columns, rows in time order (stable: ties keep their order) */
export function tradesCsv(rows: readonly JournalRow[]): string {
  const sorted = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.at - b.r.at || a.i - b.i);
  return stringify([[...TRADE_LOG_COLUMNS], ...sorted.map(({ r }) => toCsvFields(r))]);
}
