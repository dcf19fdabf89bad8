import { z } from 'zod';
import type { RiskLimits } from '../domain/risk';
import { canonicalSymbol } from '../domain/symbols';
import { DEFAULT_MAX_CYCLE_OFFSET_MS, FIRST_CYCLES } from '../domain/cycleSchedule';
import { inDataDir } from './dataDir';

/** "15m", "1h", "30s" -> milliseconds */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration like 30s, 15m, 1h`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

export const Duration = z.string().transform((text, ctx) => {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw new Error(`"${text}" must be longer than zero`);
    return ms;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** a Duration that may also be 0 ("0s") */
const DurationOrZero = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
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
    /**
     * hear fills over the account's user-data stream (ccxt's websocket client; paper: the
     * simulator's), polling only as the safety net; false: the order monitor polls, as before
     */
    user_stream: z.boolean().default(true),
  })
  .strict();

/** the old place of the model prices: refused with the way to the one price table */
export const BUDGET_PRICES_MOVED =
  'strategist.budget.prices was removed: model prices are one table now, llm_models.<model> ' +
  '{ input_usd_per_million_tokens, output_usd_per_million_tokens } (used by the live budget and the backtest); ' +
  'move each model there, e.g. llm_models: { gpt-4o-mini: { input_usd_per_million_tokens: 0.15, output_usd_per_million_tokens: 0.6 } }';

/** The LLM's daily spend limit (see src/domain/llmBudget.ts); the prices are llm_models'. */
export const LlmBudgetConfig = z
  .object({
    /** tokens (prompt + completion, from the API's usage field) per UTC day */
    daily_tokens: z.number().int().positive().default(1_000_000),
    /** USD per UTC day, priced by llm_models.<model>; null: no money limit */
    daily_cost: z.number().positive().nullable().default(2),
    /** removed (an old config says so clearly): prices live in llm_models */
    prices: z.never({ error: BUDGET_PRICES_MOVED }).optional(),
    /** once spent, until 00:00 UTC: do_nothing (no decisions) or rules (the rules strategist decides) */
    when_spent: z.enum(['do_nothing', 'rules']).default('do_nothing'),
    /**
     * where the day's spend is kept (survives worker restarts). Left out: llm-spend.json in the data
     * folder (DE_DATA_DIR, else data/), so that moving the data folder moves it; a path given here is
     * used as given (relative: to the working directory)
     */
    state_file: z.string().default(() => inDataDir('llm-spend.json')),
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
    /** the command's reasoning is cut past this many characters (marked), before it goes anywhere */
    max_reasoning_chars: z.number().int().min(50).max(20_000).default(1_000),
    /** an answer longer than this is refused unread (ANSWER_TOO_LONG) */
    max_answer_chars: z.number().int().min(1_000).max(1_000_000).default(100_000),
    budget: LlmBudgetConfig.prefault({}),
  })
  .strict();

export const RiskConfig = z
  .object({
    max_position_size_percent: z.number().gt(0).max(100).default(10),
    max_open_trades: z.number().int().min(1).default(3),
    min_reward_risk: z.number().min(0).default(1.5),
    max_entry_distance_percent: z.number().gt(0).max(50).default(2),
    /** a stop (planned or adjusted) must be within this % of the last price */
    max_stop_distance_percent: z.number().gt(0).max(95).default(10),
    /** every take-profit (planned or adjusted) must be within this % of the last price */
    max_target_distance_percent: z.number().gt(0).max(1000).default(20),
    // ---- portfolio-wide, held by the portfolio workflow (src/workflows/portfolio.ts)
    /** sum of open trades' notional (PENDING entries included), % of equity */
    max_total_exposure_percent: z.number().gt(0).max(100).default(30),
    /** optional per-symbol caps of open notional, % of equity, e.g. { ETHUSDT: 10 } */
    max_symbol_exposure_percent: z.record(SymbolName, z.number().gt(0).max(100)).default({}),
    /** HALT when the loss since the UTC day's starting equity (realized + unrealized) reaches this % */
    daily_loss_limit_percent: z.number().gt(0).max(100).default(3),
    /** HALT when equity falls this % below its peak; only `cli resume` lifts it */
    max_drawdown_percent: z.number().gt(0).max(100).default(10),
    /** on a halt, also close ACTIVE positions at market (otherwise they keep their stop and targets) */
    flatten_on_halt: z.boolean().default(false),
    /** how often the portfolio reads the account's equity */
    equity_check_interval: Duration.default(60_000),
    // ---- per symbol, held by each symbol's trader
    /** cycles without a new entry on a symbol after one of its trades was stopped out */
    cooldown_cycles: z.number().int().min(0).max(1_000).default(4),
    max_trades_per_symbol_per_day: z.number().int().min(1).max(1_000).default(3),
    /** a PENDING entry not filled after this long is cancelled by the engine */
    entry_timeout: Duration.default(4 * 3_600_000),
  })
  .strict()
  .refine((r) => Object.values(r.max_symbol_exposure_percent).every((p) => p <= r.max_total_exposure_percent), {
    message: 'a max_symbol_exposure_percent cap above max_total_exposure_percent can never be reached',
    path: ['max_symbol_exposure_percent'],
  });

/** When market data is too old, frozen or inconsistent to trade on (see src/domain/marketDataGuard.ts). */
export const MarketDataConfig = z
  .object({
    /** the last price may be at most this many cycle intervals old (live and testnet: against the wall clock) */
    max_price_age_cycles: z.number().gt(0).max(100).default(3),
    /** the newest closed candle of the cycle timeframe may lag the price by at most this many candle intervals */
    max_candle_lag_intervals: z.number().gt(0).max(100).default(3),
    /** the last price may differ from the newest candle's close by at most this % */
    max_price_deviation_percent: z.number().gt(0).max(50).default(3),
    /** a feed with no new candle for this many candle intervals of wall time is frozen */
    frozen_after_intervals: z.number().gt(0).max(1000).default(4),
    /**
     * where the worker remembers when each feed last moved (survives restarts). Left out:
     * feed-watch.json in the data folder (DE_DATA_DIR, else data/); a path given here is used as
     * given (relative: to the working directory)
     */
    watch_file: z.string().default(() => inDataDir('feed-watch.json')),
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
 * What the engine knows about a model, the ONE price table: its prices (the live daily budget,
 * strategist.budget.daily_cost; the backtest's cost estimate and --max-llm-cost) and its training
 * cutoff (a backtest window before it gets a loud look-ahead warning). Per model name.
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
/** the default price table: the default model's list prices (USD per million tokens) */
export const DEFAULT_LLM_MODELS: Record<string, LlmModelConfig> = {
  'gpt-4o-mini': { input_usd_per_million_tokens: 0.15, output_usd_per_million_tokens: 0.6 },
};

export const TradingConfig = z
  .object({
    symbols: z.array(SymbolName).min(1).refine((s) => new Set(s).size === s.length, 'symbols must not repeat'),
    cycle_interval: Duration.default(15 * 60_000),
    /** the first cycle after a start: at the first candle close (+ the symbol's offset), or at once */
    first_cycle: z.enum(FIRST_CYCLES).default('aligned'),
    /** a symbol's cycles come this much after the candle close at most (a hash of the symbol; capped at a tenth of cycle_interval); 0: none */
    cycle_offset_max: DurationOrZero.default(DEFAULT_MAX_CYCLE_OFFSET_MS),
    /** how often each open trade is compared with the exchange (orders, order lists, balances), besides on request */
    reconcile_interval: Duration.default(5 * 60_000),
    timeframes: z.array(Timeframe).min(1).default(['15m', '1h', '4h']),
    exchange: ExchangeConfig.prefault({}),
    strategist: StrategistConfig.prefault({}),
    risk: RiskConfig.prefault({}),
    market_data: MarketDataConfig.prefault({}),
    paper: PaperConfig.prefault({}),
    trade_log: z.string().default('data/trade_log.csv'),
    /** per-model prices and training cutoffs, by model name: the live budget and the backtest read it */
    llm_models: z.record(z.string().min(1), LlmModelConfig).default(DEFAULT_LLM_MODELS),
  })
  .strict();

export type TradingConfig = z.infer<typeof TradingConfig>;
/** the config's risk section is exactly the domain's risk limits: this line stops compiling if they drift */
true satisfies z.infer<typeof RiskConfig> extends RiskLimits ? (RiskLimits extends z.infer<typeof RiskConfig> ? true : false) : false;
export type RiskConfig = RiskLimits;
export type MarketDataConfig = z.infer<typeof MarketDataConfig>;
export type StrategistConfig = z.infer<typeof StrategistConfig>;
export type ExchangeConfig = z.infer<typeof ExchangeConfig>;
