import type { Trade } from '../domain/trade';

export interface OrderMonitorState {
  /** trades whose orders are tracked, by trade id */
  watched: Record<string, Trade>;
  /** event ids already signalled, per trade (dropped with the trade) */
  sent: Record<string, string[]>;
  polls: number;
  lastPollAt: number | null;
  lastError: string | null;
}

/** how often the monitor reads order status unless its input says otherwise, ms */
export const DEFAULT_MONITOR_INTERVAL_MS = 2_000;

export interface OrderMonitorInput {
  /** how often order status is read, ms (default DEFAULT_MONITOR_INTERVAL_MS) */
  intervalMs?: number;
  /** continue-as-new after this many polls in one run (default 300) */
  maxPollsPerRun?: number;
  /** set by continue-as-new only */
  state?: OrderMonitorState;
}

/** the monitor's workflow type name and signature, for starting it from outside (signal-with-start) */
export const ORDER_MONITOR_WORKFLOW_TYPE = 'orderMonitor';
export type OrderMonitorWorkflow = (input?: OrderMonitorInput) => Promise<void>;
