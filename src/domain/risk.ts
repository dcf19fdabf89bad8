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
}
