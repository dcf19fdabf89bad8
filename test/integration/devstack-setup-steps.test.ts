import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/devstack/temporalServer';

/**
 * The setup scripts' progress lines (scripts/steps.sh), as CI's log and a terminal get them: a step
 * says what runs and how long it may take, then how long it took; a cached step says where it is.
 * A log gets plain lines only; a terminal (a real pty, from util-linux `script`) gets the ticking
 * line, cleared when the step ends. A failing step fails the script, even a shell function that
 * relies on `set -e`.
 */

const STEPS = join(PROJECT_ROOT, 'scripts/steps.sh');

/** a script sourcing steps.sh, run under bash with `set -euo pipefail` as the setup scripts are */
function script(body: string): string {
  return `set -euo pipefail\nsource ${STEPS}\nSTEP_PREFIX=setup-x\n${body}`;
}

function runPiped(body: string) {
  const env = { ...process.env };
  delete env.CI;
  return spawnSync('bash', ['-c', script(body)], { encoding: 'utf8', env });
}

describe('setup progress lines (scripts/steps.sh)', () => {
  it('in a log: a line when a step starts (with how long it may take), one when it ends (with how long it took), plain', () => {
    const run = runPiped('step "waiting a little" "about a second" sleep 1.2\nstep_cached "the thing" "in .tools/x; delete it to redo"');
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, run.stdout);
    assert.equal(lines[0], 'setup-x: waiting a little (about a second) ...');
    assert.match(lines[1]!, /^setup-x: waiting a little: done in [1-3] s$/);
    assert.equal(lines[2], 'setup-x: the thing: cached, skipped (in .tools/x; delete it to redo)');
    assert.doesNotMatch(run.stdout + run.stderr, /[\r\x1b]/, 'no carriage returns or escape sequences in a log');
  });

  it("a step's own output passes through to the log; minutes read as minutes", () => {
    const run = runPiped('step "talking" "no time" echo "hello from the step"\nstep_elapsed 372');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^setup-x: talking \(no time\) \.\.\.\nhello from the step\nsetup-x: talking: done in [0-2] s\n6 min 12 s\n$/);
  });

  it('a failing step says so with its exit code and stops the script, even inside a shell function relying on set -e', () => {
    const run = runPiped('build() { false; echo "went on after the failure"; }\nstep "building" "a while" build\necho "the script went on"');
    assert.notEqual(run.status, 0);
    assert.doesNotMatch(run.stdout, /went on/);
    assert.match(run.stderr, /^setup-x: building: FAILED after [0-2] s \(exit code 1\)$/m);
  });

  it('on a terminal the elapsed time ticks in place, and the line is cleared when the step ends', () => {
    const which = spawnSync('script', ['--version'], { encoding: 'utf8' });
    if (which.error) {
      if (process.env.CI) assert.fail('util-linux script is needed for the terminal case');
      return;
    }
    // the script's text reaches the pty's shell through the environment, quoted by nothing
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', STEPS_BODY: script('step "compiling" "a few seconds" bash -c "echo hidden-output; sleep 2.5"') };
    delete env.CI;
    const run = spawnSync('script', ['-qfec', 'bash -c "$STEPS_BODY"', '/dev/null'], { encoding: 'utf8', env });
    assert.equal(run.status, 0, run.stdout);
    assert.match(run.stdout, /setup-x: compiling \(a few seconds\) \.\.\./);
    assert.match(run.stdout, /\r\x1b\[K {2}compiling: [1-3] s/, 'the elapsed time, redrawn in place');
    assert.match(run.stdout, /\r\x1b\[Ksetup-x: compiling: done in [2-5] s/, 'the ticking line is cleared before the last line');
    assert.doesNotMatch(run.stdout, /hidden-output/, "a step's output goes to its log file on a terminal, shown only when it fails");
  });

  it('every setup script .ci/run calls sources it, and says where a cached part is', () => {
    const ci = readFileSync(join(PROJECT_ROOT, '.ci/run'), 'utf8');
    const scripts = [...ci.matchAll(/^bash (scripts\/setup-[\w-]+\.sh)$/gm)].map((m) => m[1]!);
    assert.deepEqual(scripts.sort(), ['scripts/setup-chromium.sh', 'scripts/setup-cluster.sh', 'scripts/setup-compose.sh', 'scripts/setup-temporal.sh']);
    for (const s of scripts) {
      const text = readFileSync(join(PROJECT_ROOT, s), 'utf8');
      assert.match(text, /^source scripts\/steps\.sh$/m, `${s} uses the progress lines`);
      assert.match(text, /step_cached /, `${s} says what it found cached`);
    }
  });
});
