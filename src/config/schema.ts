import { z } from 'zod';
import type { RiskLimits } from '../domain/risk';
import { canonicalSymbol } from '../domain/symbols';

/** "15m", "1h", "30s" -> milliseconds */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration like 30s, 15m, 1h`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

const Duration = z.string().transform((text, ctx) => {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error(`"${text}" must be longer than zero`);
    return ms;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const SymbolName = z.string().transform((text, ctx) => {
  try {
    return canonicalSymbol(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const Timeframe = z.enum(['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d']);
export type Timeframe = z.infer<typeof Timeframe>;

export const TradingMode = z.enum(['paper', 'testnet', 'live']);
export type TradingMode = z.infer<typeof TradingMode>;

export const ExchangeConfig = z
  .object({
    id: z.literal('binance').default('binance'),
    market_type: z.literal('spot').default('spot'),
    mode: TradingMode.default('paper'),
    /** live trading needs this set to true as well as mode: live and keys in the environment */
    confirm_live_trading: z.boolean().default(false),
    /** paper mode: where the exchange simulator listens (it is started by `npm start`) */
    simulator_url: z.url().default('http://127.0.0.1:8710'),
  })
  .strict();

export const StrategistConfig = z
  .object({
    kind: z.enum(['llm', 'rules']).default('llm'),
    model: z.string().min(1).default('gpt-4o-mini'),
    base_url: z.url().default('https://api.openai.com/v1'),
    temperature: z.number().min(0).max(2).default(0.2),
    timeout: Duration.default(30_000),
    max_retries: z.number().int().min(0).max(10).default(2),
    /** upper bound on the prompt's market-data section, in estimated tokens */
    max_prompt_tokens: z.number().int().min(500).max(100_000).default(4_000),
  })
  .strict();

export const RiskConfig = z
  .object({
    max_position_size_percent: z.number().gt(0).max(100).default(10),
    max_open_trades: z.number().int().min(1).default(3),
    min_reward_risk: z.number().min(0).default(1.5),
    max_entry_distance_percent: z.number().gt(0).max(50).default(2),
  })
  .strict();

export const PaperConfig = z
  .object({
    /** starting balances of the paper account, e.g. { USDT: 10000 } */
    starting_balances: z.record(z.string(), z.number().min(0)).default({ USDT: 10_000 }),
    /** price feed when the real exchange cannot be reached: a folder of <SYMBOL>-<tf>.csv candle files */
    candles_dir: z.string().optional(),
    fee_rate: z.number().min(0).max(0.01).default(0.001),
  })
  .strict();

const IsoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2023-10-01')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'is not a calendar date');

/**
 * What the backtest knows about a model: its prices (for the cost estimate and the budget) and
 * its training cutoff (a window before it gets a loud look-ahead warning). Optional, per model name.
 */
export const LlmModelConfig = z
  .object({
    /** USD per million prompt (input) tokens */
    input_usd_per_million_tokens: z.number().min(0).optional(),
    /** USD per million completion (output) tokens */
    output_usd_per_million_tokens: z.number().min(0).optional(),
    /** the last day of the model's training data, e.g. 2023-10-01 */
    training_cutoff: IsoDay.optional(),
  })
  .strict();
export type LlmModelConfig = z.infer<typeof LlmModelConfig>;

export const TradingConfig = z
  .object({
    symbols: z.array(SymbolName).min(1).refine((s) => new Set(s).size === s.length, 'symbols must not repeat'),
    cycle_interval: Duration.default(15 * 60_000),
    timeframes: z.array(Timeframe).min(1).default(['15m', '1h', '4h']),
    exchange: ExchangeConfig.prefault({}),
    strategist: StrategistConfig.prefault({}),
    risk: RiskConfig.prefault({}),
    paper: PaperConfig.prefault({}),
    trade_log: z.string().default('data/trade_log.csv'),
    /** per-model prices and training cutoffs, by model name (backtests) */
    llm_models: z.record(z.string().min(1), LlmModelConfig).optional(),
  })
  .strict();

export type TradingConfig = z.infer<typeof TradingConfig>;
/** the config's risk section is exactly the domain's risk limits: this line stops compiling if they drift */
true satisfies z.infer<typeof RiskConfig> extends RiskLimits ? (RiskLimits extends z.infer<typeof RiskConfig> ? true : false) : false;
export type RiskConfig = RiskLimits;
export type StrategistConfig = z.infer<typeof StrategistConfig>;
export type ExchangeConfig = z.infer<typeof ExchangeConfig>;
