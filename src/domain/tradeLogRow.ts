import type { TradeStatus } from './trade';

/**
 * One row of data/trade_log.csv, as the workflow writes it and the journal stores it: one
 * definition. Pure data (it crosses the workflow boundary and is carried over continue-as-new).
 */

export const TRADE_LOG_KINDS = ['DECISION', 'ORDER', 'TRANSITION', 'REJECTION', 'RECONCILE', 'CONTROL'] as const;
export type TradeLogKind = (typeof TRADE_LOG_KINDS)[number];

export interface TradeLogRow {
  /**
   * Deterministic and unique, never random: `${workflowId}:${firstExecutionRunId}:${n}` for the
   * workflow's rows (src/workflows/tradeLogOutbox.ts). Appending a row whose id is already in the file
   * writes nothing, so a retried activity never duplicates one.
   */
  id: string;
  /** epoch ms (workflow time); written as ISO 8601 UTC */
  at: number;
  symbol: string;
  kind: TradeLogKind;
  /** the workflow's command sequence number the row belongs to (not a column of the file) */
  sequence?: number;
  tradeId?: string | null;
  /** the trade's status after this row (PENDING, ACTIVE, ...) or an order's status */
  status?: TradeStatus | string | null;
  /** command action (PLAN_TRADE, ...) or event type (ENTRY_FILLED, ...) or transition (PENDING->ACTIVE) */
  action?: string | null;
  /** strategist's reasoning, rejection reason, order details: free text (quoted by the CSV writer) */
  detail: string;
  /** the spreadsheet's numeric columns, filled when the row is about a trade or an order */
  direction?: string | null;
  /** BUY / SELL for order rows */
  side?: string | null;
  orderType?: string | null;
  price?: number | null;
  quantity?: number | null;
  /** a PLAN_TRADE decision's position size, % of equity (its quantity is only known once the OMS sized it) */
  sizePercent?: number | null;
  stopLoss?: number | null;
  takeProfits?: readonly number[] | null;
  pnl?: number | null;
  fees?: number | null;
  clientOrderId?: string | null;
  exchangeOrderId?: string | null;
}
