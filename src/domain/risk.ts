/**
 * The risk limits every command is checked against (validation, the rules strategist, the prompt).
 * The domain's own type: the config's `risk` section (src/config/schema.ts) is checked against it
 * at compile time, so the domain never imports the config.
 */
export interface RiskLimits {
  /** the most of the account's equity one trade may commit, percent */
  max_position_size_percent: number;
  /** open trades (PENDING or ACTIVE) across all symbols */
  max_open_trades: number;
  /** reward:risk to the first target, at least */
  min_reward_risk: number;
  /** how far from the last price an entry may be, percent */
  max_entry_distance_percent: number;
  /** how far from the last price a stop (planned or adjusted) may be, percent */
  max_stop_distance_percent: number;
  /** how far from the last price each take-profit (planned or adjusted) may be, percent */
  max_target_distance_percent: number;
  // ---- the portfolio-wide envelope (src/domain/envelope, held by the portfolio workflow)
  /** sum of open trades' notional (PENDING entries included), percent of equity */
  max_total_exposure_percent: number;
  /** per-symbol caps of open notional, percent of equity (canonical symbol -> percent) */
  max_symbol_exposure_percent: Record<string, number>;
  /** HALT at this loss since the UTC day's starting equity (realized + unrealized), percent */
  daily_loss_limit_percent: number;
  /** HALT at this drop of equity below its peak, percent; only a resume lifts it */
  max_drawdown_percent: number;
  /** on a halt, also close ACTIVE positions at market */
  flatten_on_halt: boolean;
  /** how often the portfolio reads the account's equity, ms */
  equity_check_interval: number;
  // ---- per symbol (each symbol's trader)
  /** cycles without a new entry on a symbol after one of its trades was stopped out */
  cooldown_cycles: number;
  /** new trades per symbol per UTC day */
  max_trades_per_symbol_per_day: number;
  /** a PENDING entry not filled after this long is cancelled by the engine, ms */
  entry_timeout: number;
}
