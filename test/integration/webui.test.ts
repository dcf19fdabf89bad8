import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { cadenceText } from '../../src/contract/displayText';
import { ORDER_MONITOR_WORKFLOW_ID, PORTFOLIO_WORKFLOW_ID } from '../../src/contract/ids';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';
import { launchChromium, pageText, readmeViewsSnippet, untilText } from '../support/chromium';
import { workflowBundle } from '../support/temporalEnv';
import { recordHistory } from '../support/temporalHistories';
import { currentDetailsOf, planAt, SECRETS, summariesOf, untilTradeStatus, webUiStack, type WebUiStack } from '../support/webUiStack';

/**
 * What a trader sees in the Temporal Web UI, on the product as a newcomer runs it: the dev server
 * with its UI, the product's worker (keys in its environment) and the symbols started by the
 * product. One trader takes a real PLAN_TRADE from the scripted LLM; its entry fills on the paper
 * exchange and the trade is ACTIVE. Then: every activity and timer carries a one-line summary, the
 * pages carry their current details and static summary, no key shows anywhere, the histories
 * replay, and headless Chromium (Debian's) reads it all as text on the pages.
 *
 * Screenshots go to a temp dir; WEBUI_SCREENSHOTS=docs writes the README's (docs/webui-*.png).
 */

/** the stack's cadence as the product writes it ("every 1 h"): the stack picks an interval with no cycle due while the test runs */
const cadence = () => cadenceText(stack.config.cycle_interval);
const REASONING = 'EMA20 above EMA50 on the 1h; buying the pullback to support';
let stack: WebUiStack;
let trader: WorkflowHandle;

before(async () => {
  stack = await webUiStack();
  const last = (await stack.ex.fetchTicker('BTC/USDT')).last!;
  const plan = planAt(last, REASONING);
  stack.llm.enqueue(plan.answer);
  await stack.start(['BTCUSDT']);
  trader = stack.trader('BTCUSDT');
  await untilTradeStatus(stack, 'BTCUSDT', 'PENDING');
  // the market comes down to the entry: it fills, the OTOCO's stop and target rest on the exchange
  await stack.sim.setPrice('BTCUSDT', Math.round(plan.entry * 0.998 * 100) / 100);
  await untilTradeStatus(stack, 'BTCUSDT', 'ACTIVE');
});

after(async () => {
  await stack?.close();
});

const monitor = () => stack.client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID);
const portfolio = () => stack.client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);

describe('what the Web UI is given', () => {
  it('every activity and timer of the trader, the monitor and the portfolio carries a one-line summary', async () => {
    for (const handle of [trader, monitor(), portfolio()]) {
      const steps = await summariesOf(handle);
      // the streaming monitor has two steps so far: its stream activity and the safety poll's timer
      assert.ok(steps.length >= (handle.workflowId === ORDER_MONITOR_WORKFLOW_ID ? 2 : 3), `${handle.workflowId}: ${steps.length} steps`);
      for (const step of steps) {
        assert.ok(step.summary && step.summary.trim().length > 0, `${handle.workflowId}: ${step.event} has no summary`);
        assert.ok(!step.summary.includes('\n') && step.summary.length <= 200, `${handle.workflowId}: "${step.summary}" is not one short line`);
      }
    }
    const lines = (await summariesOf(trader)).map((s) => s.summary!);
    const expect = [
      /^reconcile BTCUSDT with the exchange: no open trade$/,
      /^market data BTCUSDT$/,
      /^strategist BTCUSDT at \d+(\.\d+)?: no open trade$/,
      /^portfolio: slot for T-BTCUSDT-0+1 \(entry [\d.]+, 10% of equity\)$/,
      /^OMS: PLAN_TRADE LONG [\d.]+ \/ SL [\d.]+ \/ TP [\d.]+, 10%$/,
      /^order monitor: watch T-BTCUSDT-0+1 PENDING: entry placed, OTOCO$/,
      /^trade log: 2 rows \(DECISION PLAN_TRADE, ORDER PLAN_TRADE\)$/,
      /^wait for next cycle \d\d:\d\d(:\d\d)? UTC; cycle 1: PLAN_TRADE LONG .* -> EXECUTED, entry placed, OTOCO$/,
      /^OMS: protect T-BTCUSDT-0+1, [\d.]+ filled: stop [\d.]+, targets [\d.]+$/,
    ];
    for (const re of expect) assert.ok(lines.some((l) => re.test(l)), `no summary like ${re} in:\n${lines.join('\n')}`);
    assert.ok(lines.findIndex((l) => l.startsWith('OMS: PLAN_TRADE')) < lines.findIndex((l) => l.startsWith('wait for next cycle')), 'in the order of the cycle');
    const monitorLines = (await summariesOf(monitor())).map((s) => s.summary!);
    // the monitor hears the fills over the user-data stream (exchange.user_stream, on by default) and polls every 30 s as the safety net
    assert.ok(monitorLines.some((l) => /^stream the account's fills and order changes \(user-data stream; 1 trade watched now\)$/.test(l)), monitorLines.join('\n'));
    assert.ok(monitorLines.some((l) => /^next poll in 30 s \(1 trade watched\)$/.test(l)), monitorLines.join('\n'));
  });

  it("the trader's current details: the trade line, the last decision with its verdict and reasoning, the next cycle, errors, risk, mode", async () => {
    const details = await currentDetailsOf(trader);
    const [first] = details.split('\n');
    assert.match(first!, /^\*\*ACTIVE LONG BTCUSDT: entry [\d.]+, stop [\d.]+, targets [\d.]+, filled [\d.]+, unrealized [+-]?[\d.]+% at [\d.]+\*\*$/);
    assert.match(details, /^- \*\*Last decision\*\*: cycle 1 at \d\d:\d\d(:\d\d)? UTC \(llm\): PLAN_TRADE LONG .*; accepted, EXECUTED: T-BTCUSDT-0+1 PENDING/m);
    assert.match(details, new RegExp(`^- \\*\\*Reasoning\\*\\*: ${REASONING}$`, 'm'));
    assert.match(details, new RegExp(`^- \\*\\*Next cycle\\*\\*: \\d\\d:\\d\\d(:\\d\\d)? UTC \\(${cadence()}\\)$`, 'm'));
    assert.match(details, /^- \*\*Last error\*\*: none$/m);
    assert.match(details, /^- \*\*Risk\*\*: holds the portfolio slot of T-BTCUSDT-0+1 · 1\/3 new trades today \(UTC\)$/m);
    assert.match(details, /^- \*\*Mode\*\*: paper · WAITING · run 1$/m);
    const description = await trader.describe();
    assert.match((await description.staticSummary()) ?? '', new RegExp(`^BTCUSDT trader · paper · LLM fake-model at 127\\.0\\.0\\.1:\\d+ \\(rules without OPENAI_API_KEY\\) · ${cadence()}$`));
    assert.ok(((await description.staticDetails()) ?? '').includes(`- **Cadence**: ${cadence()} on 15m/1h candles`), 'the cadence in the static details');
  });

  it('the order monitor says what it watches; the portfolio its slots; both were started with a summary', async () => {
    assert.match(await currentDetailsOf(monitor()), /^\*\*Watching 1 open trade\*\*[\s\S]*^- T-BTCUSDT-0+1 \(BTCUSDT (PENDING|ACTIVE) LONG\): (entry placed, OTOCO|protected by OCO)/m);
    const card = await currentDetailsOf(portfolio());
    assert.match(card, /slots 1\/3 used/);
    // the one LLM answer so far (the test server reports 100 + 50 tokens); the config prices no fake-model
    assert.match(card, /^LLM spend today \(\d{4}-\d\d-\d\d UTC\): 150 of 1,000,000 tokens \(0%\) in 1 call · no cost: llm_models has no price for fake-model$/m);
    assert.match((await (await monitor().describe()).staticSummary()) ?? '', /^order monitor · /);
    assert.match((await (await portfolio().describe()).staticSummary()) ?? '', /^portfolio risk envelope · BTCUSDT · max 3 open trades$/);
  });

  it("no key of the worker's environment in any summary, detail or anywhere in the histories", async () => {
    // the OpenAI key was live in the worker: the LLM server received it
    assert.equal(stack.llm.requests.find((r) => r.method === 'POST')?.headers.authorization, `Bearer ${SECRETS.OPENAI_API_KEY}`);
    const shown: string[] = [];
    for (const handle of [trader, monitor(), portfolio()]) {
      shown.push(...(await summariesOf(handle)).map((s) => s.summary ?? ''));
      shown.push(await currentDetailsOf(handle));
      const d = await handle.describe();
      shown.push((await d.staticSummary()) ?? '', (await d.staticDetails()) ?? '');
      shown.push(textOf(await handle.fetchHistory()));
    }
    const all = shown.join('\n');
    assert.ok(all.length > 10_000, 'the histories were read');
    for (const [name, value] of Object.entries(SECRETS)) assert.ok(!all.includes(value), `${name} appears in what the Web UI shows`);
  });

  it('the histories with summaries replay against the workflow code (and are recorded as fixtures)', async () => {
    for (const [handle, name] of [[trader, 'webui-trader-summaries'], [monitor(), 'webui-order-monitor-summaries'], [portfolio(), 'webui-portfolio-summaries']] as const) {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: name }, await handle.fetchHistory(), handle.workflowId);
      await recordHistory(handle, name);
    }
  });
});

describe('in a real browser (headless Chromium)', () => {
  const shots = process.env.WEBUI_SCREENSHOTS === 'docs' ? join(PROJECT_ROOT, 'docs') : undefined;
  const shotPath = (name: string) => {
    const dir = shots ?? join(stack.dir, 'screenshots');
    mkdirSync(dir, { recursive: true });
    return join(dir, `webui-${name}.png`);
  };

  it("a trader's page shows its current details, and the timeline and history its summaries, as text", async () => {
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      const { runId } = await trader.describe();
      const base = `${stack.uiUrl}/namespaces/default/workflows/trader-BTCUSDT/${runId}`;

      await page.goto(`${base}/user-metadata`, { waitUntil: 'load' });
      await untilText(page, 'ACTIVE LONG BTCUSDT: entry');
      const card = await pageText(page);
      assert.match(card, /ACTIVE LONG BTCUSDT: entry [\d.]+, stop [\d.]+, targets [\d.]+, filled [\d.]+, unrealized [+-]?[\d.]+% at [\d.]+/);
      assert.match(card, /Last decision: cycle 1 at .* PLAN_TRADE LONG .*accepted, EXECUTED/);
      assert.ok(card.includes(`Reasoning: ${REASONING}`), 'the reasoning, rendered (no markdown left)');
      assert.match(card, new RegExp(`Next cycle: \\d\\d:\\d\\d(:\\d\\d)? UTC \\(${cadence()}\\)`));
      assert.match(card, /Mode: paper/);
      assert.match(card, /BTCUSDT trader · paper · LLM fake-model/, 'the static summary');
      await page.screenshot({ path: shotPath('trader') });

      await page.goto(`${base}/history`, { waitUntil: 'load' });
      await untilText(page, 'OMS: PLAN_TRADE LONG');
      const history = await pageText(page);
      for (const s of ['market data BTCUSDT', 'strategist BTCUSDT at', 'OMS: PLAN_TRADE LONG', 'order monitor: watch T-BTCUSDT', 'trade log: 2 rows', 'wait for next cycle']) {
        assert.ok(history.includes(s), `the event history shows "${s}"`);
      }
      await page.screenshot({ path: shotPath('history') });

      await page.goto(`${base}/timeline`, { waitUntil: 'load' });
      await untilText(page, 'executeAiCommand • OMS', (f) => f.evaluate(() => (globalThis as any).document.body.textContent ?? ''));
      // the timeline draws one row per step: "<activity type> • <summary>", and the timer's summary
      const text = await page.evaluate(() => (globalThis as any).document.body.textContent ?? '');
      const timeline = text.slice(text.lastIndexOf('Timeline'));
      for (const s of ['reconcileSymbol • reconcile BTCUSDT', 'fetchMarketData • market data BTCUSDT', 'askStrategist • strategist BTCUSDT at', 'executeAiCommand • OMS: PLAN_TRADE LONG', 'watchOrders • order monitor: watch T-BTCUSDT', 'appendTradeLog • trade log:', 'wait for next cycle']) {
        assert.ok(timeline.includes(s), `the timeline shows "${s}"`);
      }
      await page.screenshot({ path: shotPath('timeline') });
    } finally {
      await close();
    }
  });

  it("the portfolio's page shows its card with the LLM spend of the day", async () => {
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      const { runId } = await portfolio().describe();
      await page.goto(`${stack.uiUrl}/namespaces/default/workflows/${PORTFOLIO_WORKFLOW_ID}/${runId}/user-metadata`, { waitUntil: 'load' });
      await untilText(page, 'LLM spend today');
      const card = await pageText(page);
      // the page renders the markdown: 1/3 becomes a fraction (1⁄3)
      assert.match(card, /slots 1.3 used/);
      assert.match(card, /LLM spend today \(\d{4}-\d\d-\d\d UTC\): 150 of 1,000,000 tokens \(0%\) in 1 call · no cost: llm_models has no price for fake-model/);
      await page.screenshot({ path: shotPath('portfolio') });
    } finally {
      await close();
    }
  });

  it("the README's snippet adds the Symbol, TradeStatus and TradingMode columns and a saved view per trade status", async () => {
    const snippet = readmeViewsSnippet();
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1400, height: 600 });
      await page.goto(`${stack.uiUrl}/namespaces/default/workflows`, { waitUntil: 'load' });
      await untilText(page, 'trader-BTCUSDT');
      assert.doesNotMatch(await pageText(page), /TradeStatus/, 'not there by default');
      await page.evaluate(snippet); // as pasted into the browser's console; it reloads the page
      await page.waitForNavigation({ waitUntil: 'load' }).catch(() => undefined);
      await untilText(page, 'TradeStatus');
      const row = await page.evaluate(() => [...(globalThis as any).document.querySelectorAll('tr')].map((r) => (r as any).innerText.replace(/\s+/g, ' ')).find((t) => t.includes('trader-BTCUSDT')) ?? '');
      assert.match(row, /RUNNING trader-BTCUSDT BTCUSDT ACTIVE paper symbolTrader/, 'the row reads Symbol, TradeStatus, TradingMode');
      await page.screenshot({ path: shotPath('list') });
      await page.evaluate(() => ([...(globalThis as any).document.querySelectorAll('button')].find((b) => b.innerText.includes('Saved Views')) as any)?.click());
      await untilText(page, 'Trades CANCELLED');
      const views = await pageText(page);
      for (const status of ['NONE', 'PENDING', 'ACTIVE', 'CLOSED', 'CANCELLED']) assert.ok(views.includes(`Trades ${status}`), `a saved view for ${status}`);
      assert.ok(views.includes('Portfolio HALTED'));

      // a link with the query (as the README gives them) lists the ACTIVE traders only
      await page.goto(`${stack.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('TradeStatus = "ACTIVE"')}`, { waitUntil: 'load' });
      await untilText(page, 'trader-BTCUSDT');
      assert.doesNotMatch(await pageText(page), /order-monitor/);
    } finally {
      await close();
    }
  });
});

/** a history as text, payloads decoded, so that a key inside any payload would be seen */
function textOf(node: unknown): string {
  if (node instanceof Uint8Array) return Buffer.from(node).toString('utf8');
  if (Array.isArray(node)) return node.map(textOf).join(' ');
  if (node && typeof node === 'object') return Object.entries(node).map(([k, v]) => `${k}: ${textOf(v)}`).join(' ');
  return String(node);
}
