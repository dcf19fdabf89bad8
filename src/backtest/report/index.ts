import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BacktestRun } from '../runTypes';
import { buildReport, type Report } from './buildReport';
import { renderHtml } from './html';
import { summaryTable } from './summary';

export { buildReport, type Report } from './buildReport';
export { summaryTable } from './summary';
export { renderHtml } from './html';

export interface WrittenReport {
  report: Report;
  jsonPath: string;
  htmlPath: string;
  /** the terminal summary (plain text), for the caller to print */
  summary: string;
}

/**
 * Writes report.json and report.html for a run into outDir (created if missing). The only part
 * that differs between two runs of the same inputs is report.json's `generatedAt` (pass `now` to
 * pin it). trades.csv is the engine's.
 */
export async function writeReport(run: BacktestRun, outDir: string, now: Date = new Date()): Promise<WrittenReport> {
  const report = buildReport(run, now);
  await mkdir(outDir, { recursive: true });
  const jsonPath = join(outDir, 'report.json');
  const htmlPath = join(outDir, 'report.html');
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(htmlPath, renderHtml(report, run));
  return { report, jsonPath, htmlPath, summary: summaryTable(report) };
}
