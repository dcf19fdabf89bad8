import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type SimulatorOptions } from '../../src/simulator';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { API_KEY, API_SECRET, tempDir } from '../support/simulator';

const SYMBOL = 'BTC/USDT';

describe('simulator: accounts and orders survive a restart', () => {
  it('keeps open orders, order lists, locked balances, trades and the clock; ids keep counting', async () => {
    const dir = tempDir('sim-state-');
    const stateFile = join(dir, 'state.json');
    const opts: SimulatorOptions = {
      stateFile,
      feed: { kind: 'synthetic', seed: 3, start: { BTCUSDT: 50000 } },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10000, BTC: 1 } }],
    };
    const first = await startSimulator(opts);
    const ex1 = createCcxtForSimulator(first.url, API_KEY, API_SECRET);
    await ex1.loadMarkets();
    await first.setPrice('BTCUSDT', 50000);
    await first.advance(2);
    await first.setPrice('BTCUSDT', 50000);
    const resting = await ex1.createOrder(SYMBOL, 'limit', 'buy', 0.01, 45000, { clientOrderId: 'keep-me' });
    await ex1.privatePostOrderListOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: '0.1', listClientOrderId: 'keep-oco',
      aboveType: 'LIMIT_MAKER', abovePrice: '55000', belowType: 'STOP_LOSS_LIMIT', belowStopPrice: '45000', belowPrice: '44900', belowTimeInForce: 'GTC',
    });
    await ex1.createOrder(SYMBOL, 'market', 'buy', 0.001);
    const balanceBefore = (await ex1.fetchBalance()).total;
    const clockBefore = first.now();
    await first.close();
    assert.deepEqual(readdirSync(dir), ['state.json']); // written atomically: no temp file left

    // the configured starting balances must NOT reset the saved account
    const second = await startSimulator({ ...opts, accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 1 } }] });
    try {
      const ex2 = createCcxtForSimulator(second.url, API_KEY, API_SECRET);
      await ex2.loadMarkets();
      assert.equal(second.now(), clockBefore);
      assert.deepEqual((await ex2.fetchBalance()).total, balanceBefore);
      const open = await ex2.fetchOpenOrders(SYMBOL);
      assert.equal(open.length, 3);
      assert.equal((await ex2.fetchOrder('', SYMBOL, { origClientOrderId: 'keep-me' })).id, resting.id);
      const lists = await ex2.privateGetOpenOrderList();
      assert.deepEqual(lists.map((l: { listClientOrderId: string }) => l.listClientOrderId), ['keep-oco']);
      assert.equal((await ex2.fetchMyTrades(SYMBOL)).length, 1);
      const usdt = (await ex2.fetchBalance())['USDT' as never] as unknown as { used: number };
      assert.equal(usdt.used, 450);
      const next = await ex2.createOrder(SYMBOL, 'limit', 'buy', 0.001, 45000);
      assert.ok(Number(next.id) > Number(resting.id));
      // and the restored book still matches: the resting buy fills when the price trades through
      await second.setPrice('BTCUSDT', 44999);
      assert.equal((await ex2.fetchOrder(resting.id!, SYMBOL)).status, 'closed');
    } finally {
      await second.close();
    }
  });

  it('refuses to start over a corrupt state file instead of silently starting empty', async () => {
    const dir = tempDir('sim-state-');
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, '{"version":1,"accounts":');
    await assert.rejects(
      startSimulator({ stateFile, feed: { kind: 'synthetic', seed: 1, start: { BTCUSDT: 50000 } } }),
      /state\.json: not valid JSON/,
    );
  });
});
