/**
 * Where the OMS says what a trader must hear about at once (a refused protection, a quantity left
 * without a stop). The OMS runs inside activities, the backtest and scripts, and may not import the
 * Temporal SDK: the caller passes its logger in (the activity's logger in activities, a console
 * logger in scripts). Every alert is also returned in the step's `alerts`, which the workflow
 * journals; the logger is for whoever watches the process.
 */
export interface OmsLogger {
  error(message: string, meta?: Record<string, unknown>): void;
}

/** for callers that only read the returned alerts (tests, the backtest's own report) */
export const SILENT_OMS_LOGGER: OmsLogger = { error: () => undefined };

/** for scripts and benchmarks run from a terminal */
export const CONSOLE_OMS_LOGGER: OmsLogger = { error: (message) => console.error(message) };
