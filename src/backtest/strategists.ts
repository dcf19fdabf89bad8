import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TradingConfig } from '../config/schema';
import { backtestLlmStrategist, costOf, type Budget, type CacheMode, type MaskOptions } from './llm';
import { RulesStrategist } from '../strategist/rulesStrategist';
import type { Strategist } from '../strategist/strategist';
import { BacktestInputError } from './data';
import type { StrategistSpec } from './engine';

/**
 * The strategists of `--strategist rules,llm,./my-strategy.ts`.
 *
 * A custom strategy is a TypeScript (or JavaScript) module whose default export implements the
 * Strategist interface of src/strategist/strategist.ts, the one the rules and LLM strategists
 * implement: `propose({ symbol, trade, snapshot, context })` returns a Proposal (the command, or a
 * failure with a reason); `context` holds the risk limits and last price its command will be
 * validated against. The default export may also be a class or a function taking no argument that
 * returns one (a fresh instance per run). Its commands go through the same parsing-free path as the
 * rules strategist's: semantic validation, the OMS, the exchange. `kind` defaults to 'rules' (it is
 * deterministic code); see strategies/breakout.ts.
 */

export function parseStrategistList(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new BacktestInputError('--strategist: give at least one of rules, llm, or a path to a strategy module');
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new BacktestInputError(`--strategist: ${dup} is given twice`);
  return names;
}

/** how LLM strategists of the run use the answer cache and what they may spend */
export interface LlmRunOptions {
  cacheMode: CacheMode;
  budget?: Budget;
  /** default data/llm-cache */
  cacheDir?: string;
  /** --mask: the run's symbols and window start */
  mask?: MaskOptions;
}

export async function loadStrategist(name: string, config: TradingConfig, env: NodeJS.ProcessEnv, llmRun: LlmRunOptions = { cacheMode: 'normal' }): Promise<StrategistSpec> {
  if (name === 'rules') return { name, kind: 'rules', strategist: new RulesStrategist() };
  if (name === 'llm') return llmSpec(config, env, llmRun);
  if (!/[/\\.]/.test(name)) throw new BacktestInputError(`--strategist ${name}: not rules, llm or a path to a strategy module (e.g. ./strategies/breakout.ts)`);
  return { name, kind: 'custom', strategist: await loadCustomStrategist(name) };
}

/** the live LlmStrategist behind the answer cache and the budget (src/backtest/llm) */
function llmSpec(config: TradingConfig, env: NodeJS.ProcessEnv, llmRun: LlmRunOptions): StrategistSpec {
  const apiKey = env.OPENAI_API_KEY?.trim();
  // live falls back to rules without a key; a backtest named llm must not quietly measure rules
  if (!apiKey) throw new BacktestInputError('--strategist llm: OPENAI_API_KEY is not set (the LLM strategist needs it; strategist.base_url picks the endpoint)');
  const s = config.strategist;
  const prices = config.llm_models?.[s.model];
  const { strategist, meter } = backtestLlmStrategist({
    llm: { baseUrl: s.base_url, apiKey, model: s.model, temperature: s.temperature, timeoutMs: s.timeout, maxRetries: s.max_retries, maxPromptTokens: s.max_prompt_tokens },
    mode: llmRun.cacheMode,
    ...(llmRun.budget ? { budget: llmRun.budget } : {}),
    ...(llmRun.cacheDir ? { cacheDir: llmRun.cacheDir } : {}),
    ...(llmRun.mask ? { mask: llmRun.mask } : {}),
    ...(prices ? { prices } : {}),
  });
  return {
    name: `llm ${s.model}${llmRun.mask ? ' (masked)' : ''}`,
    kind: 'llm',
    strategist,
    usage: () => meter.toUsage(),
    costOf: (usage) => costOf(usage, prices),
    llm: { model: s.model, ...(prices ? { prices } : {}), promptFor: (request) => strategist.promptFor(request) },
  };
}

export async function loadCustomStrategist(path: string): Promise<Strategist> {
  const file = resolve(path);
  if (!existsSync(file)) throw new BacktestInputError(`--strategist ${path}: no such file (${file})`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new BacktestInputError(`--strategist ${path}: cannot load the module: ${(err as Error).message}`);
  }
  const exported = mod.default;
  let candidate: unknown = exported;
  if (typeof exported === 'function') {
    try {
      candidate = /^class\s/.test(Function.prototype.toString.call(exported)) ? new (exported as new () => unknown)() : (exported as () => unknown)();
    } catch (err) {
      throw new BacktestInputError(`--strategist ${path}: its default export could not be instantiated: ${(err as Error).message}`);
    }
  }
  const s = candidate as Partial<Strategist> | undefined;
  if (!s || typeof s.propose !== 'function') {
    throw new BacktestInputError(`--strategist ${path}: the default export must implement Strategist (a propose(request) method; see src/strategist/strategist.ts)`);
  }
  const propose = s.propose.bind(s);
  return { kind: s.kind === 'llm' ? 'llm' : 'rules', description: typeof s.description === 'string' ? s.description : `custom strategy ${path}`, propose };
}
