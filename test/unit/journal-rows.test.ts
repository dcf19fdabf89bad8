import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanText, formatNumber, recordReader, toCsvFields, validateEntry, OLDER_TRADE_LOG_HEADERS, TRADE_LOG_COLUMNS, type TradeLogRow } from '../../src/journal/rows';

const base: TradeLogRow = { id: 'trader-BTCUSDT:1:decision', at: Date.UTC(2021, 0, 2, 3, 4, 5), symbol: 'BTCUSDT', kind: 'DECISION', detail: '' };

test('fields follow the column order, time is ISO UTC, targets are slash separated, row_id last', () => {
  const fields = toCsvFields({
    ...base,
    tradeId: 'T-BTCUSDT-1',
    action: 'PLAN_TRADE',
    status: 'PENDING',
    direction: 'LONG',
    price: 65000,
    quantity: 0.0123,
    sizePercent: 2.5,
    stopLoss: 63500,
    takeProfits: [67000, 69000.5],
    detail: 'breakout',
  });
  const row = Object.fromEntries(TRADE_LOG_COLUMNS.map((c, i) => [c, fields[i]]));
  assert.equal(row.time, '2021-01-02T03:04:05.000Z');
  assert.equal(row.take_profits, '67000/69000.5');
  assert.equal(row.quantity, '0.0123');
  assert.equal(row.size_percent, '2.5');
  assert.equal(row.pnl, '');
  assert.equal(row.row_id, 'trader-BTCUSDT:1:decision');
  assert.equal(TRADE_LOG_COLUMNS[TRADE_LOG_COLUMNS.length - 1], 'row_id');
});

test('numbers never use exponent notation', () => {
  assert.equal(formatNumber(1e-7), '0.0000001');
  assert.equal(formatNumber(0.00001), '0.00001');
  assert.equal(formatNumber(-12.5), '-12.5');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(null), '');
  assert.throws(() => formatNumber(Number.NaN), /finite/);
});

test('text a spreadsheet would evaluate as a formula is neutralised', () => {
  assert.equal(cleanText('=HYPERLINK("http://evil","x")'), `'=HYPERLINK("http://evil","x")`);
  assert.equal(cleanText('+1'), "'+1");
  assert.equal(cleanText('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(cleanText('entry 65000, stop 63500'), 'entry 65000, stop 63500');
});

test('secrets are masked wherever they appear; control characters become spaces', () => {
  const key = 'sk-live-0123456789abcdef';
  assert.equal(cleanText(`auth failed for ${key}!`, [key]), 'auth failed for [REDACTED]!');
  assert.equal(cleanText('a\u0000b\r\nc\rd'), 'a b\nc\nd');
  const fields = toCsvFields({ ...base, detail: `key=${key}`, clientOrderId: key }, [key]);
  assert.ok(!fields.join('|').includes(key));
});

test('bad entries are refused with what and where', () => {
  assert.throws(() => validateEntry({ ...base, id: '' }, 'row 3'), /row 3: rowId must be a non-empty string/);
  assert.throws(() => validateEntry({ ...base, id: 'a,b' }, 'row 0'), /must not contain newlines, commas or quotes/);
  assert.throws(() => validateEntry({ ...base, kind: 'FILL' as never }, 'row 1'), /kind "FILL" is not one of DECISION/);
  assert.throws(() => validateEntry({ ...base, at: Number.NaN }, 'row 2'), /time must be epoch milliseconds/);
  assert.throws(() => validateEntry({ ...base, symbol: '' }, 'row 2'), /symbol is required/);
});

test('records are read by their header: today\'s, or an older one (a column it lacks is empty); another header is not a trade log', () => {
  const fields = toCsvFields({ ...base, sizePercent: 2.5, quantity: 0.1 });
  assert.equal(recordReader(TRADE_LOG_COLUMNS)!(fields)!.size_percent, '2.5');
  const old = OLDER_TRADE_LOG_HEADERS[0]!;
  const oldFields = old.map((c) => fields[TRADE_LOG_COLUMNS.indexOf(c as (typeof TRADE_LOG_COLUMNS)[number])]!);
  const read = recordReader(old)!(oldFields)!;
  assert.deepEqual([read.size_percent, read.quantity, read.row_id], ['', '0.1', base.id]);
  assert.equal(recordReader(old)!(oldFields.slice(1)), null, 'a record of another length (torn) reads as nothing');
  assert.equal(recordReader(['date', 'ticker']), null);
});
