/**
 * The trade log's row shape: what a trader sees when opening data/trade_log.csv in a spreadsheet.
 * Pure: turning an entry into CSV fields (no I/O here; tradeLog.ts writes them).
 */

export const TRADE_LOG_KINDS = ['DECISION', 'ORDER', 'TRANSITION', 'REJECTION', 'RECONCILE', 'CONTROL'] as const;
export type TradeLogKind = (typeof TRADE_LOG_KINDS)[number];

/** Column order of the file. row_id is last on purpose: a row torn by a crash never ends in a whole id. */
export const TRADE_LOG_COLUMNS = [
  'time',
  'symbol',
  'trade_id',
  'kind',
  'action',
  'status',
  'direction',
  'side',
  'order_type',
  'price',
  'quantity',
  'stop_loss',
  'take_profits',
  'pnl',
  'fees',
  'client_order_id',
  'exchange_order_id',
  'detail',
  'row_id',
] as const;
export type TradeLogColumn = (typeof TRADE_LOG_COLUMNS)[number];

/** One row as read back from the file: every column as the text the file holds. */
export type TradeLogRecord = Record<TradeLogColumn, string>;

export interface TradeLogEntry {
  /**
   * Deterministic id derived from what the row records (workflow id, cycle, step), never random:
   * appending a row whose id is already in the file writes nothing, so a retried activity is harmless.
   */
  rowId: string;
  /** epoch ms; written as ISO 8601 UTC */
  time: number;
  symbol: string;
  kind: TradeLogKind;
  tradeId?: string | null;
  /** the command (PLAN_TRADE, ...) or the step (PLACE_ENTRY, CANCEL, ...) */
  action?: string | null;
  /** the trade's status after this row: PENDING, ACTIVE, CLOSED, CANCELLED (or an order's status) */
  status?: string | null;
  direction?: string | null;
  /** BUY / SELL for order rows */
  side?: string | null;
  orderType?: string | null;
  price?: number | null;
  quantity?: number | null;
  stopLoss?: number | null;
  takeProfits?: readonly number[] | null;
  pnl?: number | null;
  fees?: number | null;
  clientOrderId?: string | null;
  exchangeOrderId?: string | null;
  /** reasoning, rejection reason, what changed; free text (quoted by the CSV writer) */
  detail?: string | null;
}

export class TradeLogError extends Error {
  override name = 'TradeLogError';
}

/** A spreadsheet cell is capped at 32767 characters; keep far below it so the file stays readable. */
const MAX_TEXT = 4_000;
const REDACTED = '[REDACTED]';

/**
 * Text that reaches the file: control characters other than newline/tab become spaces (the CSV
 * writer quotes newlines, commas and quotes), known secrets are masked, and a leading = + - @
 * is neutralised with an apostrophe so a spreadsheet never evaluates text written by an LLM as a
 * formula (CSV injection).
 */
export function cleanText(value: string, secrets: readonly string[] = []): string {
  let text = value;
  for (const secret of secrets) {
    if (secret.length >= 4) text = text.split(secret).join(REDACTED);
  }
  text = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
  if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT)}…[truncated]`;
  if (/^[=+\-@\t]/.test(text)) text = `'${text}`;
  return text;
}

/** Plain decimal, never exponent notation (1e-7 would be misread by a spreadsheet as text). */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (!Number.isFinite(value)) throw new TradeLogError(`not a finite number: ${value}`);
  if (value !== 0 && Math.abs(value) < 1e-6) return value.toFixed(12).replace(/\.?0+$/, '');
  if (Math.abs(value) >= 1e21) return BigInt(Math.round(value)).toString();
  return String(value);
}

export function validateEntry(entry: TradeLogEntry, where: string): void {
  if (typeof entry.rowId !== 'string' || entry.rowId.trim() === '') {
    throw new TradeLogError(`${where}: rowId must be a non-empty string`);
  }
  if (/[\r\n,"]/.test(entry.rowId)) throw new TradeLogError(`${where}: rowId "${entry.rowId}" must not contain newlines, commas or quotes`);
  if (!Number.isFinite(entry.time)) throw new TradeLogError(`${where} (${entry.rowId}): time must be epoch milliseconds`);
  if (!entry.symbol) throw new TradeLogError(`${where} (${entry.rowId}): symbol is required`);
  if (!TRADE_LOG_KINDS.includes(entry.kind)) {
    throw new TradeLogError(`${where} (${entry.rowId}): kind "${entry.kind}" is not one of ${TRADE_LOG_KINDS.join(', ')}`);
  }
}

/** Fields of one CSV row, in TRADE_LOG_COLUMNS order. */
export function toCsvFields(entry: TradeLogEntry, secrets: readonly string[] = []): string[] {
  const text = (v: string | null | undefined) => (v === null || v === undefined ? '' : cleanText(v, secrets));
  const record: TradeLogRecord = {
    time: new Date(entry.time).toISOString(),
    symbol: text(entry.symbol),
    trade_id: text(entry.tradeId),
    kind: entry.kind,
    action: text(entry.action),
    status: text(entry.status),
    direction: text(entry.direction),
    side: text(entry.side),
    order_type: text(entry.orderType),
    price: formatNumber(entry.price),
    quantity: formatNumber(entry.quantity),
    stop_loss: formatNumber(entry.stopLoss),
    take_profits: (entry.takeProfits ?? []).map((p) => formatNumber(p)).join('/'),
    pnl: formatNumber(entry.pnl),
    fees: formatNumber(entry.fees),
    client_order_id: text(entry.clientOrderId),
    exchange_order_id: text(entry.exchangeOrderId),
    detail: text(entry.detail),
    row_id: entry.rowId,
  };
  return TRADE_LOG_COLUMNS.map((c) => record[c]);
}
