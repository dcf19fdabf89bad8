import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, appendFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'csv-stringify/sync';
import { openTradeLog, readTradeLog, TRADE_LOG_COLUMNS, type TradeLogRow } from '../../src/journal/tradeLog';
import { toCsvFields } from '../../src/journal/rows';

const dir = await mkdtemp(join(tmpdir(), 'de-journal-'));
test.after(() => rm(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `log-${++n}`, 'trade_log.csv');

const row = (id: string, extra: Partial<TradeLogRow> = {}): TradeLogRow => ({
  id: id,
  at: Date.UTC(2021, 4, 19, 12, 0, 0),
  symbol: 'BTCUSDT',
  kind: 'DECISION',
  action: 'DO_NOTHING',
  detail: `reasoning of ${id}`,
  ...extra,
});

const ids = async (path: string) => (await readTradeLog(path)).map((r) => r.row_id);
const lines = async (path: string) => (await readFile(path, 'utf8')).split('\n');
/** A file as a crashed writer (or a person) left it, before this process opens it. */
async function writeRaw(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

test('a header once, then one row per entry; a retried batch writes nothing again', async () => {
  const path = freshPath();
  const log = openTradeLog(path);
  const batch = [row('c1:decision'), row('c1:order', { kind: 'ORDER', status: 'PENDING' })];
  assert.deepEqual(await log.append(batch), { written: 2, skipped: 0, renamed: 0, repairedBytes: 0 });
  assert.deepEqual(await log.append(batch), { written: 0, skipped: 2, renamed: 0, repairedBytes: 0 });
  // a retry that carries one new row writes only that one
  const r = await log.append([...batch, row('c1:transition', { kind: 'TRANSITION', status: 'ACTIVE' })]);
  assert.equal(r.written, 1);
  assert.deepEqual(await ids(path), ['c1:decision', 'c1:order', 'c1:transition']);
  const text = await readFile(path, 'utf8');
  assert.equal(text.split('\n')[0], TRADE_LOG_COLUMNS.join(','));
  assert.equal(text.match(/^time,/gm)?.length, 1);
  assert.equal(await log.has('c1:order'), true);
  assert.equal(await log.has('c2:order'), false);
});

test('ids repeated within one batch are written once', async () => {
  const path = freshPath();
  const r = await openTradeLog(path).append([row('a'), row('a'), row('b')]);
  assert.deepEqual([r.written, r.skipped], [2, 1]);
  assert.deepEqual(await ids(path), ['a', 'b']);
});

test('an id reused for a different row (a symbol workflow started afresh) is written under a suffix, once', async () => {
  const path = freshPath();
  const log = openTradeLog(path);
  await log.append([row('trader-BTCUSDT:0', { detail: 'first run' })]);
  const later = [row('trader-BTCUSDT:0', { detail: 'second run', at: Date.UTC(2021, 5, 1) }), row('trader-BTCUSDT:1', { detail: 'second run' })];
  assert.deepEqual(await log.append(later), { written: 2, skipped: 0, renamed: 1, repairedBytes: 0 });
  // the retry of that batch finds both rows, the renamed one included
  assert.deepEqual(await log.append(later), { written: 0, skipped: 2, renamed: 0, repairedBytes: 0 });
  const rows = await readTradeLog(path);
  assert.deepEqual(rows.map((r) => [r.row_id, r.detail]), [
    ['trader-BTCUSDT:0', 'first run'],
    ['trader-BTCUSDT:0~2', 'second run'],
    ['trader-BTCUSDT:1', 'second run'],
  ]);
});

test('concurrent appends (several symbols, retries racing) never write a row twice or interleave rows', async () => {
  const path = freshPath();
  const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT'];
  const calls: Promise<unknown>[] = [];
  for (let cycle = 0; cycle < 25; cycle++) {
    for (const symbol of symbols) {
      const batch = [
        row(`${symbol}:${cycle}:decision`, { symbol, detail: `long text, "quoted"\nsecond line ${'x'.repeat(200)}` }),
        row(`${symbol}:${cycle}:order`, { symbol, kind: 'ORDER' }),
      ];
      // the same batch twice, as a retried activity racing its first attempt would; separate
      // openTradeLog calls share the one writer for the file
      calls.push(openTradeLog(path).append(batch), openTradeLog(path).append(batch));
    }
  }
  await Promise.all(calls);
  const got = await ids(path);
  assert.equal(got.length, 25 * 4 * 2);
  assert.equal(new Set(got).size, got.length);
  for (const r of await readTradeLog(path)) {
    if (r.row_id.endsWith(':decision')) assert.match(r.detail, /^long text, "quoted"\nsecond line x{200}$/);
  }
});

test('reasoning with commas, quotes and newlines round-trips through the file', async () => {
  const path = freshPath();
  const detail = 'Stop to break-even, "trend intact";\nRSI 71, ATR 812.5\r\nnext: watch 67,000';
  await openTradeLog(path).append([
    row('q1', { detail, takeProfits: [67000, 69000], stopLoss: 63500, price: 65000, quantity: 0.015 }),
  ]);
  const [r] = await readTradeLog(path);
  assert.equal(r!.detail, detail.replace('\r\n', '\n'));
  assert.equal(r!.take_profits, '67000/69000');
  assert.equal(r!.stop_loss, '63500');
  // the raw file quotes the field (RFC 4180 doubling of inner quotes)
  assert.match(await readFile(path, 'utf8'), /"Stop to break-even, ""trend intact"";\nRSI 71/);
});

test('readTradeLog filters by symbol (either spelling) and trade; a missing file is an empty log', async () => {
  const path = freshPath();
  await openTradeLog(path).append([
    row('b1', { symbol: 'BTCUSDT', tradeId: 'T-BTCUSDT-1' }),
    row('e1', { symbol: 'ETHUSDT', tradeId: 'T-ETHUSDT-1' }),
    row('b2', { symbol: 'BTCUSDT', tradeId: 'T-BTCUSDT-2' }),
  ]);
  assert.deepEqual((await readTradeLog(path, { symbol: 'BTC/USDT' })).map((r) => r.row_id), ['b1', 'b2']);
  assert.deepEqual((await readTradeLog(path, { tradeId: 'T-ETHUSDT-1' })).map((r) => r.row_id), ['e1']);
  assert.deepEqual(await readTradeLog(join(dir, 'nope.csv')), []);
});

test('readTradeLog with a limit gives the most recent rows, never a torn one', async () => {
  const path = freshPath();
  await openTradeLog(path).append(Array.from({ length: 50 }, (_, i) => row(`r${i}`, { symbol: i % 2 ? 'ETHUSDT' : 'BTCUSDT' })));
  assert.deepEqual((await readTradeLog(path, { limit: 3 })).map((r) => r.row_id), ['r47', 'r48', 'r49']);
  assert.deepEqual((await readTradeLog(path, { symbol: 'BTCUSDT', limit: 2 })).map((r) => r.row_id), ['r46', 'r48']);
  assert.deepEqual(await readTradeLog(path, { limit: 0 }), []);
  await appendFile(path, tornRow('r50', (t) => t.length - 2));
  assert.deepEqual((await readTradeLog(path, { limit: 2 })).map((r) => r.row_id), ['r48', 'r49']);
  await assert.rejects(readTradeLog(path, { limit: -1 }), /limit must be a whole number/);
});

/** The bytes of a row as the writer produces them, cut short as a crash mid-write would leave them. */
function tornRow(id: string, keep: (text: string) => number): string {
  const text = stringify([toCsvFields(row(id, { detail: 'cut, "here"\nmid-field' }))]);
  return text.slice(0, keep(text));
}

for (const [name, keep] of [
  ['inside a quoted multi-line field', (t: string) => t.indexOf('mid-field')],
  ['inside the row id', (t: string) => t.length - 3],
  ['just before the final newline', (t: string) => t.length - 1],
] as const) {
  test(`a row torn ${name} is cut (kept in .torn), its id is not written, and the retry writes it whole`, async () => {
    const path = freshPath();
    const log = openTradeLog(path);
    await log.append([row('ok-1'), row('ok-2')]);
    await appendFile(path, tornRow('torn-1', keep));
    // a reader meanwhile sees only whole rows
    assert.deepEqual(await ids(path), ['ok-1', 'ok-2']);
    const r = await log.append([row('torn-1', { detail: 'cut, "here"\nmid-field' }), row('ok-3')]);
    assert.equal(r.written, 2);
    assert.ok(r.repairedBytes > 0);
    assert.deepEqual(await ids(path), ['ok-1', 'ok-2', 'torn-1', 'ok-3']);
    assert.equal((await readTradeLog(path))[2]!.detail, 'cut, "here"\nmid-field');
    assert.ok((await readFile(`${path}.torn`, 'utf8')).startsWith(tornRow('torn-1', keep)));
  });
}

test('after a restart (fresh index) a torn tail is repaired before the first append', async () => {
  const path = freshPath();
  const header = stringify([TRADE_LOG_COLUMNS as unknown as string[]]);
  const whole = stringify([toCsvFields(row('w-1'))]);
  await writeRaw(path, header + whole + tornRow('w-2', (t) => t.length - 5));
  const r = await openTradeLog(path).append([row('w-1'), row('w-2')]);
  assert.deepEqual([r.written, r.skipped], [1, 1]);
  assert.deepEqual(await ids(path), ['w-1', 'w-2']);
  assert.equal((await lines(path)).at(-1), '', 'the file ends with a newline');
});

test('a header torn by a crash during the very first write is rewritten', async () => {
  const path = freshPath();
  await writeRaw(path, 'time,symbol,tra');
  await openTradeLog(path).append([row('h-1')]);
  assert.equal((await lines(path))[0], TRADE_LOG_COLUMNS.join(','));
  assert.deepEqual(await ids(path), ['h-1']);
});

test('a file with another header is refused with a clear error, and left untouched', async () => {
  const path = freshPath();
  await writeRaw(path, 'date,ticker,note\n2021-01-01,BTC,hi\n');
  await assert.rejects(openTradeLog(path).append([row('x')]), /header \(date,ticker,note\) is not the trade log's.*move the file aside/);
  assert.equal(await readFile(path, 'utf8'), 'date,ticker,note\n2021-01-01,BTC,hi\n');
});

test('rows appended by another process are seen: the index catches up instead of writing them again', async () => {
  const path = freshPath();
  const log = openTradeLog(path);
  await log.append([row('p-1')]);
  const script = join(dir, `other-writer-${n}.mts`);
  await writeFile(
    script,
    `import { openTradeLog } from ${JSON.stringify(new URL('../../src/journal/tradeLog.ts', import.meta.url).pathname)};\n` +
      `const r = await openTradeLog(${JSON.stringify(path)}).append(${JSON.stringify([row('p-1'), row('p-2')])});\n` +
      `console.log(JSON.stringify(r));\n`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
    cwd: new URL('../..', import.meta.url).pathname,
  });
  assert.equal(JSON.parse(stdout).written, 1);
  const r = await log.append([row('p-2'), row('p-3')]);
  assert.deepEqual([r.written, r.skipped], [1, 1]);
  assert.deepEqual(await ids(path), ['p-1', 'p-2', 'p-3']);
});

test('a log saved by a spreadsheet with CRLF line ends is read and appended to', async () => {
  const path = freshPath();
  const header = TRADE_LOG_COLUMNS.join(',');
  const crlf = stringify([toCsvFields(row('x-1'))], { record_delimiter: 'windows' });
  await writeRaw(path, `${header}\r\n${crlf}`);
  const r = await openTradeLog(path).append([row('x-1'), row('x-2')]);
  assert.deepEqual([r.written, r.skipped], [1, 1]);
  assert.deepEqual(await ids(path), ['x-1', 'x-2']);
});

test('a line damaged by hand in the middle is refused, naming the line, and the file is left as it is', async () => {
  const path = freshPath();
  await openTradeLog(path).append([row('d-1'), row('d-2'), row('d-3')]);
  const text = await readFile(path, 'utf8');
  const damaged = text.replace('reasoning of d-2', 'reasoning "of" d-2');
  assert.notEqual(damaged, text);
  // the damaged copy is opened fresh, as after a restart
  const copy = freshPath();
  await writeRaw(copy, damaged);
  await assert.rejects(openTradeLog(copy).append([row('d-4')]), /line 3 is not valid CSV.*fix it or move the file aside/);
  assert.equal(await readFile(copy, 'utf8'), damaged);
});
