import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildReport, summaryTable, writeReport } from '../../src/backtest/report/index';
import { sampleRun } from '../support/backtestRun';

describe('writeReport: report.json and report.html on disk', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'de-report-files-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is reproducible: the same run gives byte-identical files apart from the timestamp', async () => {
    const a = await writeReport(sampleRun(), join(dir, 'a'), new Date('2026-01-01T00:00:00Z'));
    const b = await writeReport(sampleRun(), join(dir, 'b'), new Date('2026-06-01T12:34:56Z'));
    const jsonA = await readFile(a.jsonPath, 'utf8');
    const jsonB = await readFile(b.jsonPath, 'utf8');
    assert.notEqual(jsonA, jsonB, 'the timestamps differ');
    const strip = (text: string) => text.replace(/"generatedAt": "[^"]+"/, '"generatedAt": ""');
    assert.equal(strip(jsonA), strip(jsonB));
    assert.match(jsonA, /"generatedAt": "2026-01-01T00:00:00.000Z"/);
    assert.ok((await readFile(a.htmlPath)).equals(await readFile(b.htmlPath)), 'report.html is byte-identical');
  });

  it('records the parameters, the data files with checksums and the code version', async () => {
    const run = sampleRun();
    const { jsonPath } = await writeReport(run, join(dir, 'c'));
    const report = JSON.parse(await readFile(jsonPath, 'utf8'));
    assert.equal(report.schema, 'dynamic-executor/backtest-report@1');
    assert.deepEqual(report.params, run.params);
    assert.deepEqual(report.dataFiles, run.dataFiles);
    assert.match(report.dataFiles[0].sha256, /^[0-9a-f]{64}$/);
    assert.equal(report.codeVersion, 'test');
    assert.equal(report.strategists.length, 2);
  });

  it('the terminal summary names every strategist, the buy-and-hold line, rejections and the warnings', () => {
    const text = summaryTable(buildReport(sampleRun({ warnings: ['before the cutoff'] }), new Date(0)));
    assert.match(text, /^WARNING: before the cutoff/);
    assert.match(text, /llm fake-model/);
    assert.match(text, /cash/);
    assert.match(text, /buy-and-hold \(window\)/);
    assert.match(text, /REWARD_RISK_TOO_LOW 2/);
    assert.match(text, /risk-free rate 0\.00% a year/);
  });
});
