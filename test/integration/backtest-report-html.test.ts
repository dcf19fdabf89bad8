import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { writeReport } from '../../src/backtest/report/index';
import { sampleRun } from '../support/backtestRun';
import { launchChromium } from '../support/chromium';

/**
 * report.html in Debian's headless Chromium, opened from disk (file://): no console error, no
 * request but the file itself, every chart drawn (a canvas with a size and non-blank pixels), and
 * every figure on the page equal to report.json.
 */

function valueAt(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
}

describe('report.html in headless Chromium', () => {
  let dir: string;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'de-report-html-'));
    ({ browser, close: closeBrowser } = await launchChromium());
  });
  after(async () => {
    await closeBrowser?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens from disk, draws every chart and shows the figures of report.json', async () => {
    const { htmlPath, jsonPath } = await writeReport(sampleRun({ warnings: ['the window is before the training cutoff of fake-model'] }), dir);
    const report = JSON.parse(await readFile(jsonPath, 'utf8'));
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${(e as Error).message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.setViewport({ width: 1300, height: 900 });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts]');

    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [pathToFileURL(htmlPath).href], 'the page loads nothing but itself');

    // equity + drawdown per strategist (2), price charts for the symbols that traded (llm: 2)
    const charts = await page.$$eval('[data-chart]', (els) => els.map((el) => el.getAttribute('data-chart')));
    assert.deepEqual(charts.sort(), ['drawdown', 'drawdown', 'equity', 'equity', 'price', 'price']);
    assert.equal(await page.$eval('body', (b) => b.dataset.charts), '6');

    // every chart: a canvas with a size, and pixels that are not all one colour
    const drawn = await page.$$eval('[data-chart]', (els) =>
      els.map((el) => {
        el.scrollIntoView();
        const canvases = [...el.querySelectorAll('canvas')];
        const distinct = new Set<string>();
        let maxArea = 0;
        for (const c of canvases) {
          maxArea = Math.max(maxArea, c.width * c.height);
          const ctx = c.getContext('2d');
          if (!ctx || c.width === 0 || c.height === 0) continue;
          const data = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < data.length && distinct.size < 10; i += 4 * 97) distinct.add(`${data[i]},${data[i + 1]},${data[i + 2]},${data[i + 3]}`);
        }
        return { kind: el.getAttribute('data-chart'), canvases: canvases.length, maxArea, colours: distinct.size };
      }),
    );
    for (const c of drawn) {
      assert.ok(c.canvases > 0, `${c.kind}: no canvas`);
      assert.ok(c.maxArea > 100 * 100, `${c.kind}: canvas too small (${c.maxArea} px)`);
      assert.ok(c.colours >= 3, `${c.kind}: the canvas looks blank (${c.colours} colours)`);
    }

    // the warning is on the page, loud
    assert.match(await page.$eval('.warning', (el) => el.textContent ?? ''), /before the training cutoff/);

    // every figure shown is the number in report.json, and the text shows that number
    const figures = await page.$$eval('[data-figure]', (els) => els.map((el) => ({ path: el.getAttribute('data-figure')!, raw: el.getAttribute('data-value')!, text: el.textContent ?? '' })));
    assert.ok(figures.length > 100, `only ${figures.length} figures on the page`);
    for (const f of figures) {
      const expected = valueAt(report, f.path);
      assert.ok(expected !== undefined, `${f.path} is on the page but not in report.json`);
      assert.equal(f.raw, expected === null ? 'null' : String(expected), `${f.path}`);
      if (typeof expected === 'number' && !/Ms$/.test(f.path) && f.text !== 'n/a') {
        const shown = Number(f.text.replace(/[,%+]/g, ''));
        const scale = f.path === 'conventions.riskFreeRate' ? 100 : 1;
        assert.ok(Math.abs(shown - expected * scale) <= 0.0051 * Math.max(1, Math.abs(expected * scale) / 1e6), `${f.path}: page shows ${f.text}, report.json has ${expected}`);
      }
    }
    // the headline figures are all there
    const paths = new Set(figures.map((f) => f.path));
    for (const key of ['netPnl', 'netPnlPct', 'maxDrawdownPct', 'sharpe', 'sortino', 'profitFactor', 'winRatePct', 'trades', 'avgWin', 'avgLoss', 'avgHoldingMs', 'exposurePct', 'feesPaid']) {
      assert.ok(paths.has(`strategists.0.portfolio.${key}`), `portfolio ${key} missing`);
      assert.ok(paths.has(`strategists.0.symbols.1.figures.${key}`), `ETHUSDT ${key} missing`);
    }
    for (const key of ['calls', 'cacheHits', 'promptTokens', 'completionTokens', 'cost']) assert.ok(paths.has(`strategists.0.llm.${key}`));
    assert.ok(paths.has('buyAndHold.portfolio.netPnlPct'));
    assert.ok(paths.has('strategists.0.decisions.rejectedByCode.REWARD_RISK_TOO_LOW'));

    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    await page.close();
  });
});
