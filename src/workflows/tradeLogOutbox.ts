import { patched, workflowInfo } from '@temporalio/workflow';
import type { TradeLogKind, TradeLogRow } from '../domain/tradeLogRow';
import type { Trade } from '../domain/trade';
import { bookkeeping, journal } from './activities';
import { failureMessage, oneLine } from './describe';
import type { SymbolTraderState } from '../contract/traderState';
import { tradeColumns } from './tradeColumns';
import { tradeLogSummary } from './summaries';

/** workflows from here on send their rows to the trade log's own task queue (one writer across workers) */
export const JOURNAL_TASK_QUEUE_PATCH = 'journal-own-task-queue';

/** trade log rows kept for a later attempt when the journal cannot be written */
const UNWRITTEN_ROWS_LIMIT = 1000;

/**
 * The symbol's trade log as the workflow writes it: rows are numbered in the state (so numbering
 * goes on across continue-as-new) and kept until appendTradeLog has them.
 *
 * Row ids are `<workflowId>:<firstExecutionRunId>:<n>`: the first run id stays the same across
 * continue-as-new and is new for a fresh start of the same workflow id, whose numbering starts at 0
 * again; appendTradeLog skips ids it already wrote, so ids must never repeat.
 */
export class TradeLogOutbox {
  #unwritten: TradeLogRow[];
  readonly #idPrefix: string;

  constructor(
    private readonly state: Pick<SymbolTraderState, 'symbol' | 'sequence' | 'journalSeq' | 'lastError' | 'marketClock'>,
    carried: readonly TradeLogRow[],
  ) {
    const info = workflowInfo();
    this.#idPrefix = `${info.workflowId}:${info.firstExecutionRunId}`;
    this.#unwritten = [...carried];
  }

  /**
   * `columns` fill the structured columns the row is about (an order's side, type and ids; a
   * command's levels); `columns.at` is the exchange's time of the event the row records.
   */
  add(kind: TradeLogKind, detail: string, trade?: Trade, action?: string, sequence = this.state.sequence, columns: Partial<TradeLogRow> = {}): void {
    const n = this.state.journalSeq++;
    if (columns.at !== undefined) this.observe(columns.at);
    this.#unwritten.push({
      ...(trade ? { tradeId: trade.id, status: trade.status, ...tradeColumns(trade) } : {}),
      ...columns,
      id: `${this.#idPrefix}:${n}`,
      at: columns.at ?? this.marketNow(),
      symbol: this.state.symbol,
      kind,
      sequence,
      ...(action ? { action } : {}),
      detail: oneLine(detail),
    });
  }

  /**
   * The trade log's clock is the exchange's (in replay mode the market clock, years behind the
   * wall): rows not about an exchange event get the newest exchange time seen (not advanced by the
   * workflow's own clock, which runs at another pace than a replay's market), so a log keeps one
   * clock and its rows stay in event order. Before any exchange time is known: workflow time.
   */
  observe(exchangeAt: number): void {
    if (!Number.isFinite(exchangeAt)) return;
    if (!this.state.marketClock || exchangeAt > this.state.marketClock.at) this.state.marketClock = { at: exchangeAt, seenAt: Date.now() };
  }

  marketNow(): number {
    return this.state.marketClock?.at ?? Date.now();
  }

  /** rows not written yet, for the state query and the next run */
  unwritten(): TradeLogRow[] {
    return [...this.#unwritten];
  }

  async flush(): Promise<void> {
    if (this.#unwritten.length === 0) return;
    // a copy: a row added while the write is in flight must stay in the buffer for the next flush
    // (aliasing the buffer would count it as written and drop it with the slice below)
    const rows = [...this.#unwritten];
    try {
      const writer = patched(JOURNAL_TASK_QUEUE_PATCH) ? journal() : bookkeeping;
      await writer.appendTradeLog.executeWithOptions({ summary: tradeLogSummary(rows) }, [{ rows }]);
      this.#unwritten = this.#unwritten.slice(rows.length);
    } catch (err) {
      // Temporal's history is the authoritative record; the CSV catches up on the next flush.
      this.state.lastError = `trade log not written: ${failureMessage(err)}`;
      this.#unwritten = this.#unwritten.slice(-UNWRITTEN_ROWS_LIMIT);
    }
  }
}

