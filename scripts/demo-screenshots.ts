/**
 * The README's pictures of the demo in the Web UI, taken again: with `npm start -- --demo` running
 * in another terminal, `npm run demo-screenshots` waits until the demo's trade has closed (the
 * trader's TradeStatus search attribute), then drives Debian's chromium (puppeteer-core, no browser
 * download) through the trader's page (its current-details card), its timeline, and the workflow
 * list with the README's columns applied, and writes docs/demo-trader.png, docs/demo-timeline.png
 * and docs/demo-list.png (or into the folder given as the first argument).
 *
 * It only reads: the demo's Temporal (TEMPORAL_ADDRESS, default the demo's localhost:7234) and its
 * Web UI (DE_UI_URL, default http://localhost:8234).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'puppeteer-core';
import { traderWorkflowId } from '../src/contract/ids';
import { TradeStatusKey } from '../src/contract/searchAttributes';
import { DEMO } from '../src/devstack/demo';
import { PROJECT_ROOT } from '../src/devstack/temporalServer';
import { launchChromium, pageText, readmeViewsSnippet, untilText } from '../test/support/chromium';

const SYMBOL = 'BTCUSDT';
/** the demo's trade closes about 2 min 20 s after the ready line; a late start waits for the next close */
const CLOSE_WITHIN_MS = 10 * 60_000;

const address = process.env.TEMPORAL_ADDRESS ?? DEMO.address;
const ui = (process.env.DE_UI_URL ?? `http://localhost:${DEMO.uiPort}`).replace(/\/+$/, '');
const outDir = resolve(process.argv[2] ?? join(PROJECT_ROOT, 'docs'));

async function main(): Promise<void> {
  // the demo may still be starting: its Temporal comes up within a minute or two
  const connection = await Connection.connect({ address, connectTimeout: 120_000 }).catch((err: Error) => {
    throw new Error(`no Temporal at ${address} (${err.message}): start the demo first, npm start -- --demo`);
  });
  try {
    const client = new Client({ connection });
    const trader = client.workflow.getHandle(traderWorkflowId(SYMBOL));
    const runId = await untilClosed(trader);
    mkdirSync(outDir, { recursive: true });
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      const base = `${ui}/namespaces/default/workflows/${traderWorkflowId(SYMBOL)}/${runId}`;

      await page.goto(`${base}/user-metadata`, { waitUntil: 'load' });
      await untilText(page, `CLOSED LONG ${SYMBOL}`);
      await shot(page, 'demo-trader');

      await page.goto(`${base}/timeline`, { waitUntil: 'load' });
      await untilText(page, 'executeAiCommand • OMS', (f) => f.evaluate(() => (globalThis as any).document.body.textContent ?? ''));
      await shot(page, 'demo-timeline');

      await page.setViewport({ width: 1400, height: 500 });
      await page.goto(`${ui}/namespaces/default/workflows`, { waitUntil: 'load' });
      await untilText(page, traderWorkflowId(SYMBOL));
      // the columns a newcomer adds with the README's snippet: Symbol, TradeStatus, TradingMode
      await page.evaluate(readmeViewsSnippet()); // it reloads the page
      await page.waitForNavigation({ waitUntil: 'load' }).catch(() => undefined);
      await untilText(page, 'TradeStatus');
      await shot(page, 'demo-list');
      if (!(await pageText(page)).includes('CLOSED')) console.log('demo-screenshots: note: the list shows the next trade already (the rules planned it meanwhile)');
    } finally {
      await close();
    }
  } finally {
    await connection.close();
  }
}

/** waits until the trader's trade is CLOSED; its run id */
async function untilClosed(trader: ReturnType<Client['workflow']['getHandle']>): Promise<string> {
  const deadline = Date.now() + CLOSE_WITHIN_MS;
  let last = '';
  for (;;) {
    const d = await trader.describe();
    const status = d.typedSearchAttributes.get(TradeStatusKey) ?? '';
    if (status === 'CLOSED') return d.runId;
    if (status !== last) console.log(`demo-screenshots: ${SYMBOL}'s trade is ${status || 'not there yet'}; waiting for it to close ...`);
    last = status;
    if (Date.now() > deadline) throw new Error(`${SYMBOL}'s trade did not close within ${CLOSE_WITHIN_MS / 60_000} min (it is ${status})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(outDir, `${name}.png`);
  await page.screenshot({ path });
  console.log(`demo-screenshots: ${path}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`demo-screenshots: ${err.message}`);
    process.exit(1);
  },
);
