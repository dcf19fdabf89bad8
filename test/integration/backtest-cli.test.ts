import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktestCli } from '../../src/backtest/cli';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';

/** the command in process, its output captured */
async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBacktestCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

const WINDOW = ['--symbols', 'BTCUSDT', '--candles', sharedCandlesDir(), '--from', '2021-03-01', '--to', '2021-03-02', '--no-progress'];

describe('npm run backtest', () => {
  it('--help documents every flag', async () => {
    const { code, out } = await cli('--help');
    assert.equal(code, 0);
    const help = out.join('\n');
    for (const flag of ['--symbols', '--candles', '--from', '--to', '--strategist', '--config', '--out', '--decide-every', '--matching', '--indicators', '--concurrency', '--balance', '--fee-rate', '--no-progress', '--no-cache', '--cache-only', '--max-llm-calls', '--max-llm-cost', '--allow-over-budget', '--llm-cache', '--mask']) {
      assert.ok(help.includes(flag), `--help mentions ${flag}`);
    }
  });

  it('refuses bad input with a message that names the flag, and exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--symbols', 'BTCUSDT', '--from', '2021-02-30', '--to', '2021-03-02'], /--from.*2021-02-30.*not a calendar date/],
      [['--symbols', 'BTCUSDT', '--from', 'yesterday', '--to', '2021-03-02'], /--from.*"yesterday" is not a date/],
      [['--symbols', 'BTCUSDT', '--from', '2021-03-05', '--to', '2021-03-01', '--strategist', 'rules'], /--to .* must be after --from/],
      [['--symbols', 'DOGEUSDT', '--candles', sharedCandlesDir(), '--from', '2021-03-01', '--to', '2021-03-02', '--strategist', 'rules'], /--symbols DOGEUSDT: no candle file DOGEUSDT-<timeframe>\.csv.*symbols there: BTCUSDT, ETHUSDT/],
      [['--symbols', 'BTCUSDT', '--candles', '/nonexistent/candles', '--from', '2021-03-01', '--to', '2021-03-02', '--strategist', 'rules'], /--candles \/nonexistent\/candles: no such folder/],
      [['--symbols', 'BTCUSDT', '--candles', sharedCandlesDir(), '--from', '2019-01-01', '--to', '2019-01-02', '--strategist', 'rules'], /--from 2019-01-01T00:00:00Z: no 15m candle file of BTCUSDT covers the window start/],
      [[...WINDOW, '--strategist', './no/such/strategy.ts'], /--strategist \.\/no\/such\/strategy\.ts: no such file/],
      [[...WINDOW, '--strategist', 'magic'], /--strategist magic: not rules, llm or a path/],
      [[...WINDOW, '--strategist', 'rules', '--decide-every', '0'], /--decide-every must be a whole number >= 1/],
      [[...WINDOW, '--strategist', 'rules', '--config', '/nonexistent.yaml'], /\/nonexistent\.yaml: cannot read the configuration file/],
    ];
    for (const [argv, message] of cases) {
      const { code, err } = await cli(...argv);
      assert.equal(code, 2, `${argv.join(' ')} -> exit 2 (${err})`);
      assert.match(err, message);
    }
  });

  it('writes trades.csv, report.json and report.html, prints the folder last, and a re-run gives byte-identical files', async () => {
    const runs = [];
    for (const n of [1, 2]) {
      const outDir = join(mkdtempSync(join(tmpdir(), 'bt-cli-')), `run${n}`);
      const { code, out, err } = await cli(...WINDOW, '--strategist', 'rules,./strategies/breakout.ts', '--out', outDir);
      assert.equal(code, 0, err);
      assert.equal(out.at(-1), outDir, 'the last line names the output folder');
      assert.match(out.join('\n'), /buy-and-hold/);
      runs.push(outDir);
    }
    const [a, b] = runs as [string, string];
    const trades = readFileSync(join(a, 'trades.csv'), 'utf8');
    assert.match(trades.split('\n')[0]!, /^time,symbol,trade_id,kind,action,status,direction,side,order_type,price,quantity,size_percent,stop_loss,take_profits,pnl,fees,client_order_id,exchange_order_id,detail,row_id$/);
    assert.ok(trades.split('\n').length > 100, 'every decision and order is in the log');
    assert.equal(readFileSync(join(b, 'trades.csv'), 'utf8'), trades, 'trades.csv is byte-identical');
    const withoutTime = (dir: string) => readFileSync(join(dir, 'report.json'), 'utf8').replace(/"generatedAt": "[^"]*"/, '');
    assert.equal(withoutTime(b), withoutTime(a), 'report.json is byte-identical apart from its timestamp');
    const report = JSON.parse(readFileSync(join(a, 'report.json'), 'utf8'));
    assert.deepEqual(report.strategists.map((s: { name: string }) => s.name).sort(), ['./strategies/breakout.ts', 'buy-and-hold', 'cash', 'rules']);
    assert.ok(readFileSync(join(a, 'report.html'), 'utf8').includes('<html'));
  });
});
