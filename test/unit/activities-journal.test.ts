import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { journalActivities } from '../../src/activities/journal';
import type { TradeLogRow } from '../../src/domain/tradeLogRow';
import { openTradeLog, readTradeLog } from '../../src/journal/tradeLog';

function run<A extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run(fn, ...args) as Promise<R>;
}

const SECRET = 'binance-secret-9d8c7b6a5f';
const dir = await mkdtemp(join(tmpdir(), 'de-act-journal-'));
after(() => rm(dir, { recursive: true, force: true }));

const rows: TradeLogRow[] = [
  {
    id: 'trader-BTCUSDT:3:DECISION:0',
    at: Date.UTC(2021, 4, 19, 13, 15),
    symbol: 'BTCUSDT',
    kind: 'DECISION',
    sequence: 3,
    action: 'PLAN_TRADE',
    detail: 'LONG 65000, stop 63500, targets 67000/69000: "pullback", RSI 48',
  },
  {
    id: 'trader-BTCUSDT:3:ORDER:0',
    at: Date.UTC(2021, 4, 19, 13, 15),
    symbol: 'BTCUSDT',
    kind: 'ORDER',
    sequence: 3,
    tradeId: 'T-BTCUSDT-000003',
    status: 'PENDING',
    action: 'PLACE_ENTRY',
    detail: 'limit BUY 0.015 @ 65000',
  },
];

describe('appendTradeLog activity', () => {
  it('writes the rows once, however often the activity is retried', async () => {
    const path = join(dir, 'a', 'trade_log.csv');
    const { appendTradeLog } = journalActivities({ tradeLog: openTradeLog(path), secrets: [SECRET] });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await run(new MockActivityEnvironment({ attempt }), appendTradeLog, { rows });
    }
    const written = await readTradeLog(path);
    assert.deepEqual(
      written.map((r) => [r.row_id, r.kind, r.action, r.status, r.trade_id]),
      [
        ['trader-BTCUSDT:3:DECISION:0', 'DECISION', 'PLAN_TRADE', '', ''],
        ['trader-BTCUSDT:3:ORDER:0', 'ORDER', 'PLACE_ENTRY', 'PENDING', 'T-BTCUSDT-000003'],
      ],
    );
    assert.equal(written[0]!.time, '2021-05-19T13:15:00.000Z');
    assert.equal(written[0]!.detail, rows[0]!.detail);
  });

  it('fills the numeric columns when the workflow supplies them', async () => {
    const path = join(dir, 'b', 'trade_log.csv');
    const { appendTradeLog } = journalActivities({ tradeLog: openTradeLog(path), secrets: [] });
    await run(new MockActivityEnvironment(), appendTradeLog, {
      rows: [{ ...rows[1]!, direction: 'LONG', side: 'BUY', price: 65000, quantity: 0.015, stopLoss: 63500, takeProfits: [67000, 69000] }],
    });
    const [r] = await readTradeLog(path);
    assert.deepEqual([r!.direction, r!.side, r!.price, r!.quantity, r!.stop_loss, r!.take_profits], ['LONG', 'BUY', '65000', '0.015', '63500', '67000/69000']);
  });

  it('never writes a secret the worker holds, even when a row quotes one', async () => {
    const path = join(dir, 'c', 'trade_log.csv');
    const { appendTradeLog } = journalActivities({ tradeLog: openTradeLog(path), secrets: [SECRET] });
    await run(new MockActivityEnvironment(), appendTradeLog, {
      rows: [{ ...rows[0]!, id: 'leak-1', detail: `exchange said: bad signature for ${SECRET}` }],
    });
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(SECRET));
    assert.match(text, /bad signature for \*\*\*/);
  });

  it('a malformed row fails without retries; an I/O failure is retried', async () => {
    const { appendTradeLog } = journalActivities({ tradeLog: openTradeLog(join(dir, 'd', 'trade_log.csv')), secrets: [] });
    await assert.rejects(
      run(new MockActivityEnvironment(), appendTradeLog, { rows: [{ ...rows[0]!, kind: 'NOPE' as never }] }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable === true && err.type === 'TradeLogError' && /kind "NOPE"/.test(err.message),
    );
    // the log's path is a directory: the kind of fault an operator fixes while Temporal retries
    const blocked = join(dir, 'e', 'trade_log.csv');
    await mkdir(blocked, { recursive: true });
    const io = journalActivities({ tradeLog: openTradeLog(blocked), secrets: [] });
    await assert.rejects(
      run(new MockActivityEnvironment(), io.appendTradeLog, { rows }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable === false && err.type === 'EISDIR',
    );
  });
});
