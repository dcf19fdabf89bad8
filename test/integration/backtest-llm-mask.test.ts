import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backtestLlmStrategist } from '../../src/backtest/llm/index';
import type { PlanTradeCommand } from '../../src/domain/commands';
import { createPendingTrade } from '../../src/domain/newTrade';
import { decide } from '../../src/strategist/decide';
import { roundPrice } from '../../src/strategist/marketSnapshot';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';
import { closedBefore, requestAt } from '../support/strategistRequests';

/**
 * --mask through the real openai client: what reaches the model has no real price, date or symbol
 * name, and what the model answers comes back at real prices (validated, then planned on the tick
 * grid as the OMS places it).
 */

const AT = Date.UTC(2021, 4, 19, 12, 0); // 19 May 2021, a day any model trained later has read about
const BTC_LIMITS = { symbol: 'BTCUSDT', tickSize: 0.01, amountStep: 0.00001, minAmount: 0.00001, minNotional: 5 };

let server: FakeLlmServer;
let dir: string;
before(async () => {
  server = await FakeLlmServer.start();
  dir = await mkdtemp(join(tmpdir(), 'de-llm-mask-'));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function masked() {
  return backtestLlmStrategist({
    llm: { baseUrl: server.baseUrl, apiKey: 'sk-test-key-for-mask', model: 'fake-model', temperature: 0.2, timeoutMs: 5_000, maxRetries: 0, maxPromptTokens: 4_000 },
    cacheDir: dir,
    mode: 'no-cache',
    mask: { symbols: ['ETHUSDT', 'BTCUSDT'], from: Date.UTC(2021, 4, 1) },
  });
}

/** every way a real price of the snapshot's candles could be written in the prompt */
function realPriceStrings(at: number): string[] {
  const out = new Set<string>();
  for (const c of closedBefore('BTCUSDT', at, 30)) {
    for (const x of [c.open, c.high, c.low, c.close]) {
      out.add(String(roundPrice(x)));
      out.add(String(Math.trunc(x)));
    }
  }
  return [...out].filter((s) => s.length >= 4);
}

function sentPrompt(index: number): { system: string; user: string } {
  const messages = server.requests[index]!.body.messages as { role: string; content: string }[];
  return { system: messages.find((m) => m.role === 'system')!.content, user: messages.find((m) => m.role === 'user')!.content };
}

describe('--mask', () => {
  it('sends no real price, date or symbol, and scales the command back to real prices', async () => {
    const llm = masked();
    const request = requestAt('BTCUSDT', AT);
    const real = request.snapshot.last;
    // the masked last price is 100 (the symbol's constant puts its first decision there)
    const prompt = llm.strategist.promptFor(request);
    assert.match(prompt.user, /last 100 /);
    server.enqueue(
      structured({
        action: 'PLAN_TRADE',
        trade_setup: { symbol: 'ASSET2', direction: 'LONG', entry_price: 99.5, stop_loss_price: 97, take_profit_prices: [104, 108], position_size_percent: 5 },
        reasoning: 'pullback entry',
      }),
    );
    const decision = await decide({ ...request, strategist: llm.strategist });

    const sent = sentPrompt(0);
    const everything = `${sent.system}\n${sent.user}`;
    for (const name of ['BTCUSDT', 'BTC/USDT', 'ETHUSDT', 'BTC', 'Bitcoin']) assert.ok(!everything.includes(name), `the prompt names ${name}`);
    assert.match(sent.user, /MARKET ASSET2 at 2100-/);
    for (const price of realPriceStrings(AT)) assert.ok(!sent.user.includes(price), `the prompt holds the real price ${price}`);
    for (const year of ['2020', '2021', '2022', '2023', '2024']) assert.ok(!sent.user.includes(year), `the prompt holds the year ${year}`);
    assert.ok(!sent.user.includes('05-19'), 'the prompt holds the real day');

    assert.equal(decision.accepted, true, JSON.stringify(decision.rejection));
    const plan = decision.command as PlanTradeCommand;
    assert.equal(plan.trade_setup.symbol, 'BTCUSDT');
    const k = 100 / real;
    assert.ok(Math.abs(plan.trade_setup.entry_price - 99.5 / k) < 1e-6 * real, `${plan.trade_setup.entry_price} vs ${99.5 / k}`);
    assert.ok(Math.abs(plan.trade_setup.stop_loss_price - 97 / k) < 1e-6 * real);
    assert.deepEqual(plan.trade_setup.take_profit_prices.map((x) => Math.round(x)), [104, 108].map((x) => Math.round(x / k)));

    // the order the OMS would place: real levels on BTCUSDT's tick grid
    const trade = createPendingTrade({ id: 'T-BTCUSDT-000001', command: plan, quantity: 0.001, limits: BTC_LIMITS, now: AT });
    assert.ok(Math.abs(trade.entryPrice - real * 0.995) < 0.02, `entry ${trade.entryPrice} near 99.5 % of ${real}`);
    assert.ok(trade.entryPrice > 30_000, 'a real BTC price of May 2021');

    // next cycle: the PENDING trade is shown masked, and the model's cancel names the real trade
    const next = requestAt('BTCUSDT', AT + 15 * 60_000, trade);
    server.enqueue(structured({ action: 'CANCEL_ORDER', order_id: 'T-ASSET2-000001', reasoning: 'no longer valid' }));
    const cancel = await decide({ ...next, strategist: llm.strategist });
    const user = sentPrompt(1).user;
    assert.match(user, /PENDING LONG ASSET2: limit entry 99\.5\d* resting/);
    assert.ok(!user.includes('BTCUSDT') && !user.includes(String(Math.trunc(trade.entryPrice))), 'the trade line is masked');
    assert.deepEqual(cancel.command, { action: 'CANCEL_ORDER', order_id: 'T-BTCUSDT-000001', reasoning: 'no longer valid' });
    assert.equal(cancel.accepted, true);
  });

  it('a model that names the real symbol is rejected by validation, not obeyed', async () => {
    const llm = masked();
    server.enqueue(
      structured({
        action: 'PLAN_TRADE',
        trade_setup: { symbol: 'ETHUSDT', direction: 'LONG', entry_price: 99.5, stop_loss_price: 97, take_profit_prices: [104], position_size_percent: 5 },
      }),
    );
    const decision = await decide({ ...requestAt('BTCUSDT', AT), strategist: llm.strategist });
    assert.equal(decision.accepted, false);
    assert.equal(decision.rejection?.code, 'WRONG_SYMBOL');
  });
});
