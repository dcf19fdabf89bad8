import type { TradeEvent } from './events';
import type { Trade } from './trade';

/**
 * What carrying out one command (or one effect) on the exchange came to. The OMS returns it, the
 * OMS activities hand it to the workflow unchanged (naming the rejection's stage): one definition.
 */
export type OmsOutcome = 'EXECUTED' | 'REJECTED' | 'NOTHING_TO_DO';

export interface OmsRejection {
  /** where it was refused: 'oms' (our own checks) or 'exchange'; set by the activity */
  stage?: string;
  code: string;
  reason: string;
}

export interface OmsResult {
  outcome: OmsOutcome;
  /** the trade after the command, with its order refs and every event below applied (null: none) */
  trade: Trade | null;
  /**
   * facts the OMS observed or caused while acting (an entry that filled at once, protection placed),
   * deduplicated by eventId. The workflow runs them through its own state machine from the trade as
   * it was before the call, to journal each transition and carry out its effects (idempotent, so
   * work the OMS already did is found, not repeated).
   */
  events: TradeEvent[];
  rejection?: OmsRejection;
  /**
   * money-relevant surprises a trader must see (e.g. a quantity closed at market); the workflow
   * writes each to the trade log. (Results recorded in old histories may lack it: the workflow
   * reads it as `alerts ?? []`.)
   */
  alerts: string[];
}
