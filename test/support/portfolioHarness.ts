import type { Client } from '@temporalio/client';
import { startPortfolio, type PortfolioHandle } from '../../src/portfolioClient';
import { PORTFOLIO_WORKFLOW_ID, traderWorkflowId } from '../../src/contract/ids';
import { portfolioQuery } from '../../src/contract/portfolioApi';
import type { PortfolioInput, PortfolioView } from '../../src/contract/portfolioState';
import type { TraderEnvelopeInput } from '../../src/contract/traderState';
import type { PortfolioLimits, SymbolEntryRules } from '../../src/domain/envelope/limits';

/** What the portfolio tests share: limits, starting the portfolio and traders inside the envelope, polling. */

export const LIMITS: PortfolioLimits = {
  maxOpenTrades: 3,
  maxTotalExposurePercent: 30,
  maxSymbolExposurePercent: {},
  dailyLossLimitPercent: 3,
  maxDrawdownPercent: 10,
  flattenOnHalt: false,
};

export const RULES: SymbolEntryRules = { cooldownCycles: 2, maxTradesPerDay: 5, entryTimeoutMs: 4 * 3_600_000 };

export function envelopeInput(rules: Partial<SymbolEntryRules> = {}, portfolio = true): TraderEnvelopeInput {
  return { rules: { ...RULES, ...rules }, portfolio };
}

export function portfolioInputWith(symbols: string[], limits: Partial<PortfolioLimits> = {}, extra: Partial<PortfolioInput> = {}): PortfolioInput {
  return { limits: { ...LIMITS, ...limits }, symbols, equityIntervalMs: 60_000, ...extra };
}

export async function startTestPortfolio(client: Client, taskQueue: string, input: PortfolioInput): Promise<PortfolioHandle> {
  await startPortfolio(client, input, taskQueue);
  return client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);
}

export function view(client: Client): Promise<PortfolioView> {
  return client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID).query(portfolioQuery);
}

/**
 * Polls `probe` until `done` holds (the portfolio's timers run in real time on the dev server;
 * there is no activity call of the test's own to wait on). Bounded: fails with what it saw last.
 */
export async function eventually<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await probe();
      error = undefined;
      if (done(last)) return last;
    } catch (err) {
      error = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${error ? (error as Error).message : JSON.stringify(last)?.slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** ends the portfolio and the traders a test started, so the next test starts its own */
export async function terminateAll(client: Client, symbols: string[]): Promise<void> {
  for (const id of [PORTFOLIO_WORKFLOW_ID, 'order-monitor', ...symbols.map(traderWorkflowId)]) {
    try {
      await client.workflow.getHandle(id).terminate('test done');
    } catch {
      // not running
    }
  }
}
