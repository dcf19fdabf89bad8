import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { openTradeLog, readTradeLog, TRADE_LOG_COLUMNS, type TradeLogRow } from '../../src/journal/tradeLog';
import { OLDER_TRADE_LOG_HEADERS, toCsvFields } from '../../src/journal/rows';
import type { HeaderUpgrade } from '../../src/journal/headerUpgrade';

/**
 * A trade log written before size_percent existed (the header of every release until now) is
 * upgraded in place on its first append: no row lost, the old file kept, a clear message; readers
 * read either header.
 */

const dir = await mkdtemp(join(tmpdir(), 'de-journal-upgrade-'));
test.after(() => rm(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `log-${++n}`, 'trade_log.csv');
const OLD = OLDER_TRADE_LOG_HEADERS[0]!;

const row = (id: string, extra: Partial<TradeLogRow> = {}): TradeLogRow => ({
  id,
  at: Date.UTC(2021, 4, 19, 12, 0, 0),
  symbol: 'BTCUSDT',
  kind: 'DECISION',
  action: 'PLAN_TRADE',
  tradeId: 'T-BTCUSDT-000001',
  direction: 'LONG',
  price: 36_000.5,
  stopLoss: 35_000,
  takeProfits: [38_000, 39_000],
  detail: `reasoning of ${id}, "quoted"\nover two lines`,
  ...extra,
});

/** a row exactly as the old version wrote it: today's fields without size_percent */
const oldLine = (r: TradeLogRow) => {
  const fields = toCsvFields(r);
  return stringify([OLD.map((c) => fields[TRADE_LOG_COLUMNS.indexOf(c as (typeof TRADE_LOG_COLUMNS)[number])]!)]);
};
const oldFile = (rows: TradeLogRow[]) => stringify([[...OLD]]) + rows.map(oldLine).join('');

async function writeRaw(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

test('the old header is one column short of today\'s: size_percent, after quantity', () => {
  assert.deepEqual([...OLD], TRADE_LOG_COLUMNS.filter((c) => c !== 'size_percent'));
  assert.equal(TRADE_LOG_COLUMNS[TRADE_LOG_COLUMNS.indexOf('quantity') + 1], 'size_percent');
});

test('an old log reads as it is, by its header (size_percent empty)', async () => {
  const path = freshPath();
  const text = oldFile([row('a-1'), row('a-2', { kind: 'ORDER', side: 'BUY', orderType: 'LIMIT', clientOrderId: 'de-x-e', exchangeOrderId: '7' })]);
  await writeRaw(path, text);
  const rows = await readTradeLog(path);
  assert.deepEqual(rows.map((r) => [r.row_id, r.size_percent, r.price, r.take_profits]), [['a-1', '', '36000.5', '38000/39000'], ['a-2', '', '36000.5', '38000/39000']]);
  assert.deepEqual([rows[1]!.side, rows[1]!.order_type, rows[1]!.client_order_id, rows[1]!.exchange_order_id], ['BUY', 'LIMIT', 'de-x-e', '7']);
  assert.equal(rows[0]!.detail, 'reasoning of a-1, "quoted"\nover two lines');
  assert.equal(await readFile(path, 'utf8'), text, 'reading changes nothing');
});

test('the first append upgrades it in place: every row kept, the old file kept aside, one message, then the new row', async () => {
  const path = freshPath();
  const before = [row('u-1'), row('u-2', { kind: 'TRANSITION', action: 'PENDING->ACTIVE', status: 'ACTIVE', quantity: 0.01 })];
  const text = oldFile(before);
  await writeRaw(path, text);
  const told: HeaderUpgrade[] = [];
  const log = openTradeLog(path, { onUpgrade: (_p, u) => told.push(u) });
  // the retry of an old row is still known by its id; the new row carries its size
  const r = await log.append([before[1]!, row('u-3', { sizePercent: 2.5 })]);
  assert.deepEqual([r.written, r.skipped], [1, 1]);

  assert.equal(told.length, 1);
  assert.deepEqual([told[0]!.rows, told[0]!.added, told[0]!.tornBytes], [2, ['size_percent'], 0]);
  assert.equal(await readFile(told[0]!.keptAt, 'utf8'), text, 'the file as it was, byte for byte');
  const lines = (await readFile(path, 'utf8')).split('\n');
  assert.equal(lines[0], TRADE_LOG_COLUMNS.join(','));
  const rows = await readTradeLog(path);
  assert.deepEqual(rows.map((x) => [x.row_id, x.size_percent]), [['u-1', ''], ['u-2', ''], ['u-3', '2.5']]);
  assert.equal(rows[1]!.quantity, '0.01');
  assert.equal(rows[0]!.detail, before[0]!.detail);
  const leftovers = (await readdir(join(path, '..'))).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, [], 'no temporary file left');

  // once upgraded, nothing more happens
  await openTradeLog(path).append([row('u-4')]);
  assert.equal(told.length, 1);
});

test('a torn last row of the old version goes to .torn; the whole rows are upgraded', async () => {
  const path = freshPath();
  const whole = oldFile([row('t-1')]);
  const torn = oldLine(row('t-2')).slice(0, 40);
  await writeRaw(path, whole + torn);
  const told: HeaderUpgrade[] = [];
  await openTradeLog(path, { onUpgrade: (_p, u) => told.push(u) }).append([row('t-2', { sizePercent: 1 })]);
  assert.equal(told[0]!.rows, 1);
  assert.ok(told[0]!.tornBytes > 0);
  assert.ok((await readFile(`${path}.torn`, 'utf8')).startsWith(torn));
  assert.deepEqual((await readTradeLog(path)).map((x) => [x.row_id, x.size_percent]), [['t-1', ''], ['t-2', '1']]);
});

test('an old log with a row damaged by hand is refused, naming the line, and nothing changes', async () => {
  const path = freshPath();
  const text = `${oldFile([row('d-1')])}2021-05-19T12:00:00.000Z,BTCUSDT,only three\n${oldLine(row('d-3'))}`;
  await writeRaw(path, text);
  await assert.rejects(openTradeLog(path).append([row('d-4')]), /line \d+ has 3 fields, its header 19; fix it or move the file aside/);
  assert.equal(await readFile(path, 'utf8'), text);
  assert.deepEqual((await readdir(join(path, '..'))).sort(), ['trade_log.csv'], 'no copy, no temporary file');
});

test('a file of another program is still refused by readers too', async () => {
  const path = freshPath();
  await writeRaw(path, 'date,ticker,note\n2021-01-01,BTC,hi\n');
  await assert.rejects(readTradeLog(path), /header \(date,ticker,note\) is not the trade log's/);
});
