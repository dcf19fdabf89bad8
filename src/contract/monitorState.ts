import type { Trade } from '../domain/trade';

export interface OrderMonitorState {
  /** trades whose orders are tracked, by trade id */
  watched: Record<string, Trade>;
  /** event ids already signalled, per trade (dropped with the trade) */
  sent: Record<string, string[]>;
  polls: number;
  lastPollAt: number | null;
  lastError: string | null;
  /**
   * the user-data stream (monitors started after the streaming change): 'on' while the stream
   * activity runs (fills are heard as they happen, polls are the slow safety net), 'unavailable'
   * when the worker has no stream for the venue or mode (polls at intervalMs), absent: polling only
   */
  stream?: 'on' | 'unavailable';
  /** why the stream is unavailable, or its last failure */
  streamNote?: string | null;
}

/** how often the monitor reads order status unless its input says otherwise, ms */
export const DEFAULT_MONITOR_INTERVAL_MS = 2_000;
/** how often it still reads order status while the user-data stream runs (the safety net), ms */
export const DEFAULT_STREAM_POLL_INTERVAL_MS = 30_000;

export interface OrderMonitorInput {
  /** how often order status is read, ms (default DEFAULT_MONITOR_INTERVAL_MS) */
  intervalMs?: number;
  /** false: never stream, poll only (default: stream where the worker has a user-data stream) */
  stream?: boolean;
  /** how often order status is read while the stream runs, ms (default DEFAULT_STREAM_POLL_INTERVAL_MS) */
  streamPollIntervalMs?: number;
  /** continue-as-new after this many polls in one run (default 300) */
  maxPollsPerRun?: number;
  /** set by continue-as-new only */
  state?: OrderMonitorState;
}

/** the monitor's workflow type name and signature, for starting it from outside (signal-with-start) */
export const ORDER_MONITOR_WORKFLOW_TYPE = 'orderMonitor';
export type OrderMonitorWorkflow = (input?: OrderMonitorInput) => Promise<void>;
