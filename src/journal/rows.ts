/**
 * The trade log's row shape: what a trader sees when opening data/trade_log.csv in a spreadsheet.
 * The row itself is src/domain/tradeLogRow.ts (the workflows write it). Pure: turning a row into CSV fields (no I/O here; tradeLog.ts writes them).
 */

import { TRADE_LOG_KINDS, type TradeLogRow } from '../domain/tradeLogRow';

export { TRADE_LOG_KINDS, type TradeLogKind, type TradeLogRow } from '../domain/tradeLogRow';

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
  'size_percent',
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

/**
 * Headers that earlier versions wrote. A file with one of them is read by its header (a column it
 * lacks reads as empty) and upgraded in place on its next append (tradeLog.ts), never refused: a
 * trader's rows outlive an upgrade.
 */
export const OLDER_TRADE_LOG_HEADERS: readonly (readonly string[])[] = [
  // until size_percent (a PLAN_TRADE decision's position size) was added
  TRADE_LOG_COLUMNS.filter((c) => c !== 'size_percent'),
];

const sameHeader = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

export const isCurrentHeader = (header: readonly string[]) => sameHeader(header, TRADE_LOG_COLUMNS);
export const isOlderHeader = (header: readonly string[]) => OLDER_TRADE_LOG_HEADERS.some((h) => sameHeader(h, header));

/**
 * How the data records of a file with this header become rows of today's columns; null when the
 * header is none the trade log ever wrote. A record of another length than its header (a torn
 * row) reads as null.
 */
export function recordReader(header: readonly string[]): ((fields: readonly string[]) => TradeLogRecord | null) | null {
  if (!isCurrentHeader(header) && !isOlderHeader(header)) return null;
  const at = TRADE_LOG_COLUMNS.map((c) => header.indexOf(c));
  return (fields) => {
    if (fields.length !== header.length) return null;
    return Object.fromEntries(TRADE_LOG_COLUMNS.map((c, i) => [c, at[i]! < 0 ? '' : fields[at[i]!]!])) as TradeLogRecord;
  };
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

export function validateEntry(entry: TradeLogRow, where: string): void {
  if (typeof entry.id !== 'string' || entry.id.trim() === '') {
    throw new TradeLogError(`${where}: rowId must be a non-empty string`);
  }
  if (/[\r\n,"]/.test(entry.id)) throw new TradeLogError(`${where}: rowId "${entry.id}" must not contain newlines, commas or quotes`);
  if (!Number.isFinite(entry.at)) throw new TradeLogError(`${where} (${entry.id}): time must be epoch milliseconds`);
  if (!entry.symbol) throw new TradeLogError(`${where} (${entry.id}): symbol is required`);
  if (!TRADE_LOG_KINDS.includes(entry.kind)) {
    throw new TradeLogError(`${where} (${entry.id}): kind "${entry.kind}" is not one of ${TRADE_LOG_KINDS.join(', ')}`);
  }
}

/** Fields of one CSV row, in TRADE_LOG_COLUMNS order. */
export function toCsvFields(entry: TradeLogRow, secrets: readonly string[] = []): string[] {
  const text = (v: string | null | undefined) => (v === null || v === undefined ? '' : cleanText(v, secrets));
  const record: TradeLogRecord = {
    time: new Date(entry.at).toISOString(),
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
    size_percent: formatNumber(entry.sizePercent),
    stop_loss: formatNumber(entry.stopLoss),
    take_profits: (entry.takeProfits ?? []).map((p) => formatNumber(p)).join('/'),
    pnl: formatNumber(entry.pnl),
    fees: formatNumber(entry.fees),
    client_order_id: text(entry.clientOrderId),
    exchange_order_id: text(entry.exchangeOrderId),
    detail: text(entry.detail),
    row_id: entry.id,
  };
  return TRADE_LOG_COLUMNS.map((c) => record[c]);
}
