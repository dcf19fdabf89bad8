import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CrashStack } from './crashHarness';
import { structured, withUsage, type FakeLlmServer } from './fakeLlmServer';

/** a DO_NOTHING answer that uses 1000 tokens (800 + 200): the LLM budget tests count in thousands */
export const thousandTokenAnswer = (reasoning: string) => withUsage(structured({ action: 'DO_NOTHING', reasoning }), 800, 200);

/** the chat completions the test LLM server answered (its model list requests left out) */
export const chatCalls = (llm: FakeLlmServer) => llm.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

/**
 * The crash stack's config for one worker of an LLM budget test: its LLM endpoint, its daily
 * budget and its own spend file (strategist.budget.state_file), and optionally another cadence.
 */
export function budgetWorkerConfig(stack: CrashStack, name: string, opts: { baseUrl: string; dailyTokens: number; cycle?: string }): { path: string; spendFile: string } {
  const spendFile = join(stack.dir, `llm-spend-${name}.json`);
  let text = readFileSync(join(stack.dir, 'trading_config.yaml'), 'utf8').replace(
    /^strategist: .*$/m,
    `strategist: { kind: llm, model: fake-model, base_url: "${opts.baseUrl}", timeout: 10s, max_retries: 0, ` +
      `budget: { daily_tokens: ${opts.dailyTokens}, state_file: "${spendFile}" } }`,
  );
  if (opts.cycle) text = text.replace(/^cycle_interval: .*$/m, `cycle_interval: ${opts.cycle}`);
  const path = join(stack.dir, `trading_config-${name}.yaml`);
  writeFileSync(path, text);
  return { path, spendFile };
}
