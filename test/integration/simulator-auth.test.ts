import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import ccxt from '../../src/exchange/ccxtLib';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { API_KEY, API_SECRET, simTestBed, type SimTestBed } from '../support/simulator';

async function rejects(p: Promise<unknown>, cls: new (...a: never[]) => Error, msg?: RegExp) {
  await assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err.constructor.name}: ${err.message}`);
    if (msg) assert.match(err.message, msg);
    return true;
  });
}

const sign = (payload: string, secret = API_SECRET) => createHmac('sha256', secret).update(payload).digest('hex');

describe('simulator: signed requests are checked like Binance checks them', () => {
  let bed: SimTestBed;
  before(async () => {
    bed = await simTestBed();
  });
  after(() => bed.close());

  it('a wrong secret is -1022, ccxt AuthenticationError', async () => {
    const ex = createCcxtForSimulator(bed.sim.url, API_KEY, 'not-the-secret');
    await ex.loadMarkets();
    await rejects(ex.fetchBalance(), ccxt.AuthenticationError, /-1022/);
  });

  it('an unknown API key is -2015, ccxt AuthenticationError', async () => {
    const ex = createCcxtForSimulator(bed.sim.url, 'who-is-this', API_SECRET);
    await ex.loadMarkets();
    await rejects(ex.fetchBalance(), ccxt.AuthenticationError, /-2015/);
  });

  it('a missing X-MBX-APIKEY header is -2014 with HTTP 401', async () => {
    const query = `timestamp=${Date.now()}`;
    const res = await fetch(`${bed.sim.url}/api/v3/account?${query}&signature=${sign(query)}`);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { code: -2014, msg: 'API-key format invalid.' });
  });

  it('a timestamp outside recvWindow (behind or ahead) is -1021, ccxt InvalidNonce', async () => {
    const behind = createCcxtForSimulator(bed.sim.url, API_KEY, API_SECRET);
    await behind.loadMarkets();
    behind.options['timeDifference'] = 20_000; // ccxt signs with Date.now() - timeDifference
    await rejects(behind.fetchBalance(), ccxt.InvalidNonce, /outside of the recvWindow/);
    const ahead = createCcxtForSimulator(bed.sim.url, API_KEY, API_SECRET);
    await ahead.loadMarkets();
    ahead.options['timeDifference'] = -5_000;
    await rejects(ahead.fetchBalance(), ccxt.InvalidNonce, /ahead of the server/);
    // a wider recvWindow admits the late request, as on Binance
    behind.options['recvWindow'] = 30_000;
    assert.ok(await behind.fetchBalance());
  });

  it('the signature covers the query string and the body; tampering with any parameter breaks it', async () => {
    const query = `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=30000&timestamp=${Date.now()}`;
    const asBody = await fetch(`${bed.sim.url}/api/v3/order`, {
      method: 'POST',
      headers: { 'X-MBX-APIKEY': API_KEY, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `${query}&signature=${sign(query)}`,
    });
    assert.equal(asBody.status, 200, await asBody.clone().text());
    const placed = (await asBody.json()) as { orderId: number };

    const cancelQuery = `symbol=BTCUSDT&orderId=${placed.orderId}&timestamp=${Date.now()}`;
    const tampered = await fetch(`${bed.sim.url}/api/v3/order?${cancelQuery.replace('BTCUSDT', 'ETHUSDT')}&signature=${sign(cancelQuery)}`, {
      method: 'DELETE',
      headers: { 'X-MBX-APIKEY': API_KEY },
    });
    assert.equal(tampered.status, 400);
    assert.equal(((await tampered.json()) as { code: number }).code, -1022);

    const inQuery = await fetch(`${bed.sim.url}/api/v3/order?${cancelQuery}&signature=${sign(cancelQuery)}`, {
      method: 'DELETE',
      headers: { 'X-MBX-APIKEY': API_KEY },
    });
    assert.equal(inQuery.status, 200);
    assert.equal(((await inQuery.json()) as { status: string }).status, 'CANCELED');
  });

  it('public endpoints need no key; signed ones refuse a client without credentials', async () => {
    const anon = createCcxtForSimulator(bed.sim.url);
    await anon.loadMarkets();
    assert.ok((await anon.fetchTicker('BTC/USDT')).last! > 0);
    await rejects(anon.fetchBalance(), ccxt.AuthenticationError);
  });
});
