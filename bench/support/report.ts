import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, totalmem } from 'node:os';
import { serverStore } from './stack';

/**
 * The orchestration benches share one results file, bench/results/orchestration.md (linked from the
 * README). Each bench owns one section between markers and rewrites only that section, so running
 * one bench alone keeps the figures of the others.
 */

export const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'orchestration.md');

const HEADER =
  '# Orchestration benchmarks\n\n' +
  'Written by `npm run bench` (bench/orchestration-bench.ts, bench/scale-bench.ts, bench/fill-latency-bench.ts).\n' +
  'Real `symbolTrader` and `orderMonitor` workflows on a local Temporal CLI dev server (SQLite file unless a section says otherwise, headless),\n' +
  'hosted by one worker in the bench process; activities are replaced by in-process fakes that record when they ran,\n' +
  'so that strategist and exchange time are excluded and what remains is the orchestration.\n';

export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machineLine(): string {
  const cpu = cpus();
  return (
    `${new Date().toISOString()} on ${process.platform}/${process.arch}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown cpu'}), ` +
    `${Math.round(totalmem() / 1024 ** 3)} GiB RAM, Node ${process.version}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')} ` +
    '(the machine is shared: a load above the core count inflates every figure)'
  );
}

/** Replaces (or appends) this bench's section of the results file, leaving the others as they are. */
export function writeSection(id: string, body: string, file = RESULTS_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  const begin = `<!-- section:${id} -->`;
  const end = `<!-- /section:${id} -->`;
  const block = `${begin}\n${body.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}

/** how the dev server keeps its state, for the results text */
export function storeText(): string {
  const store = process.env.BENCH_TEMPORAL_STORE ?? 'file';
  if (store === 'cluster') return 'the production cluster: the Temporal server on PostgreSQL, BENCH_TEMPORAL_STORE=cluster';
  return store === 'memory' ? 'in-memory SQLite store, BENCH_TEMPORAL_STORE=memory' : 'SQLite file store, as `npm start` runs it';
}

/** prints a bench's section and writes it, as `${id}-memory` when the dev server kept its state in memory */
export function publishSection(id: string, body: string): void {
  console.log(`\n${body}\n`);
  const store = serverStore();
  writeSection(store === 'file' ? id : `${id}-${store}`, body);
  console.log(`written to ${RESULTS_FILE}`);
}

/** runs a bench's main: exit 0 when it finished, print the error and exit 1 when it failed */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
