import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { elapsedText, StartSteps, type StepStream } from '../../src/devstack/startProgress';

/** npm start's steps before the first decision: plain lines in a log, a ticking line on a terminal */

function stream(isTTY: boolean): StepStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, columns: 200, write: (c: string) => chunks.push(c) > 0, text: () => chunks.join('') };
}

/** a clock the test moves: each step's time is exactly what it says */
function manualClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("npm start's progress lines", () => {
  it('in a log: what runs and how long it may take, then how long it took and what it found; plain lines only', async () => {
    const out = stream(false);
    const clock = manualClock();
    const steps = new StartSteps(2, { out, now: clock.now });
    const value = await steps.run('worker', 'bundles the workflow code: 10-60 s', async () => {
      clock.advance(23_400);
      return 7;
    }, (n) => `${n} things`);
    assert.equal(value, 7);
    await assert.rejects(steps.run('workflows', 'a second', async () => {
      clock.advance(1_200);
      throw new Error('no server');
    }), /no server/);
    assert.equal(out.text(), [
      '[1/2] worker (bundles the workflow code: 10-60 s) ...',
      '[1/2] worker: done in 23 s; 7 things',
      '[2/2] workflows (a second) ...',
      '[2/2] workflows: failed after 1.2 s',
      '',
    ].join('\n'));
    assert.doesNotMatch(out.text(), /[\r\x1b]/);
  });

  it('on a terminal: the running step is redrawn in place, what it prints goes above it, and console is given back', async () => {
    const out = stream(true);
    const clock = manualClock();
    const log = console.log;
    const printed: string[] = [];
    console.log = (...args: unknown[]) => void printed.push(args.join(' '));
    try {
      const steps = new StartSteps(1, { out, now: clock.now, live: true });
      await steps.run('Temporal server', 'a few seconds', async () => {
        clock.advance(2_000);
        console.log('Temporal server: starting the dev server');
        return null;
      });
      console.log('after the step');
    } finally {
      console.log = log;
    }
    assert.deepEqual(printed, ['Temporal server: starting the dev server', 'after the step']);
    const text = out.text();
    assert.match(text, /\[1\/1\] Temporal server \(a few seconds\) \.\.\. 0\.0 s/, 'drawn at once');
    assert.match(text, /\[1\/1\] Temporal server \(a few seconds\) \.\.\. 2\.0 s/, 'redrawn after what the step printed');
    assert.match(text, /\x1b\[2K/, 'the running line is erased in place');
    assert.ok(text.endsWith('[1/1] Temporal server: done in 2.0 s\n'), text);
  });

  it('elapsed times', () => {
    assert.deepEqual([elapsedText(420), elapsedText(9_960), elapsedText(42_000), elapsedText(372_000)], ['0.4 s', '10.0 s', '42 s', '6 min 12 s']);
  });
});
