/**
 * Trade log benchmarks: how the journal behaves once data/trade_log.csv has grown large.
 * Run alone with `npx tsx bench/journal-bench.ts` (or through `npm run bench`).
 *
 *   1. first append to an existing large log: the id index is built once (a streaming parse of
 *      the whole file), so this is the cost a worker pays once after it starts;
 *   2. appends after that: a stat, a write and an fsync per batch (the index is not rebuilt);
 *   3. a retried batch (all ids known): no write at all;
 *   4. readTradeLog of the whole file, of one symbol, and of one symbol's last rows (the CLI's
 *      `log` command).
 *
 * Figures print as a table and are written to bench/results/journal.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import { openTradeLog, readTradeLog, TRADE_LOG_COLUMNS, type TradeLogRow } from '../src/journal/tradeLog';
import { toCsvFields } from '../src/journal/rows';

const ROWS = Number(process.env.JOURNAL_BENCH_ROWS ?? 200_000);
const APPENDS = Number(process.env.JOURNAL_BENCH_APPENDS ?? 200);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT'];

const entry = (i: number): TradeLogRow => ({
  id: `trader-${SYMBOLS[i % SYMBOLS.length]}:${i}`,
  at: Date.UTC(2021, 0, 1) + i * 60_000,
  symbol: SYMBOLS[i % SYMBOLS.length]!,
  kind: i % 3 === 0 ? 'DECISION' : 'ORDER',
  tradeId: `T-${SYMBOLS[i % SYMBOLS.length]}-${String(i >> 4).padStart(6, '0')}`,
  action: i % 3 === 0 ? 'PLAN_TRADE' : 'PLACE_ENTRY',
  status: 'PENDING',
  direction: 'LONG',
  price: 30_000 + (i % 1000),
  quantity: 0.0153,
  stopLoss: 29_000,
  takeProfits: [32_000, 34_000],
  detail: 'pullback to EMA20 in an uptrend, RSI 48, "volume confirms"; stop below the swing low',
});

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'de-journal-bench-'));
  const path = join(dir, 'trade_log.csv');
  try {
    // a large existing log, written directly (what months of trading leave behind)
    const chunks: string[] = [stringify([TRADE_LOG_COLUMNS as unknown as string[]])];
    for (let i = 0; i < ROWS; i += 10_000) {
      const rows: string[][] = [];
      for (let j = i; j < Math.min(ROWS, i + 10_000); j++) rows.push(toCsvFields(entry(j)));
      chunks.push(stringify(rows));
    }
    await writeFile(path, chunks.join(''));
    const size = (await stat(path)).size;

    const log = openTradeLog(path);
    let t = performance.now();
    await log.append([entry(ROWS)]);
    const firstAppendMs = performance.now() - t;

    const appendMs: number[] = [];
    for (let k = 1; k <= APPENDS; k++) {
      const batch = [entry(ROWS + 2 * k - 1), entry(ROWS + 2 * k)];
      t = performance.now();
      await log.append(batch);
      appendMs.push(performance.now() - t);
    }
    appendMs.sort((a, b) => a - b);

    const retryMs: number[] = [];
    for (let k = 1; k <= APPENDS; k++) {
      t = performance.now();
      const r = await log.append([entry(ROWS + 2 * k - 1), entry(ROWS + 2 * k)]);
      retryMs.push(performance.now() - t);
      if (r.written !== 0) throw new Error('a retried batch was written again');
    }
    retryMs.sort((a, b) => a - b);

    t = performance.now();
    const all = await readTradeLog(path);
    const readAllMs = performance.now() - t;
    t = performance.now();
    const one = await readTradeLog(path, { symbol: 'ETHUSDT' });
    const readOneMs = performance.now() - t;
    t = performance.now();
    const recent = await readTradeLog(path, { symbol: 'ETHUSDT', limit: 50 });
    const readRecentMs = performance.now() - t;
    const rssMb = process.memoryUsage().rss / 2 ** 20;

    const rows: Array<[string, string]> = [
      ['log size', `${ROWS.toLocaleString('en')} rows, ${(size / 2 ** 20).toFixed(1)} MiB`],
      ['first append (builds the id index once)', `${firstAppendMs.toFixed(0)} ms`],
      [`append of 2 rows with fsync, p50 / p99 (${APPENDS} batches)`, `${pct(appendMs, 50).toFixed(2)} / ${pct(appendMs, 99).toFixed(2)} ms`],
      [`retried batch (ids known, nothing written), p50 / p99`, `${pct(retryMs, 50).toFixed(3)} / ${pct(retryMs, 99).toFixed(3)} ms`],
      [`readTradeLog, whole file (${all.length.toLocaleString('en')} rows)`, `${readAllMs.toFixed(0)} ms`],
      [`readTradeLog, one symbol (${one.length.toLocaleString('en')} rows)`, `${readOneMs.toFixed(0)} ms`],
      [`readTradeLog, one symbol, last ${recent.length} rows`, `${readRecentMs.toFixed(0)} ms`],
      ['process RSS after all of the above', `${rssMb.toFixed(0)} MiB`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    const table = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
    console.log(table);

    const here = dirname(fileURLToPath(import.meta.url));
    const out = join(here, 'results', 'journal.md');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      [
        '# Trade log benchmark',
        '',
        `\`npx tsx bench/journal-bench.ts\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, temp dir on the local disk.`,
        '',
        '| measure | result |',
        '| --- | --- |',
        ...rows.map(([k, v]) => `| ${k} | ${v} |`),
        '',
      ].join('\n'),
    );
    console.log(`\nwritten to ${out}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
