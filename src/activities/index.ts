import type { ActivityDeps } from './deps';
import { journalActivities } from './journal';
import { marketDataActivities } from './marketData';
import { omsActivities } from './oms';
import { portfolioActivities } from './portfolio';
import { reconcileActivities } from './reconcile';
import { strategistActivities } from './strategist';
import { trackerActivities } from './tracker';
import { userStreamActivities } from './userStream';

export type { ActivityDeps } from './deps';
export type { StreamOrdersInput, StreamOrdersResult } from './userStream';

/**
 * Every activity the worker registers, built over the worker's shared dependencies. The names are
 * the seed's steps (reconcileSymbol, fetchMarketData, askStrategist, executeAiCommand,
 * ensureProtection, cancelPendingOrder, cancelProtection, watchOrders, appendTradeLog,
 * trackOrders, streamOrders): they are what a trader reads in the Web UI.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...reconcileActivities(deps),
    ...marketDataActivities(deps),
    ...strategistActivities(deps),
    ...omsActivities(deps),
    ...trackerActivities(deps),
    ...userStreamActivities(deps),
    ...journalActivities(deps),
    ...portfolioActivities(deps),
  };
}

/**
 * The activities as the workflows see them: derived from the implementations above (the workflows
 * import these types only), so a field a workflow passes that an implementation does not take, or
 * a result it reads that an implementation does not return, is a compile error.
 *
 * Every activity may run more than once for the same step (retries, worker crashes): each
 * implementation is idempotent (client order ids from trade id + leg, trade log rows by id).
 */
export type AllActivities = ReturnType<typeof createActivities>;
export type OrderMonitorActivities = Pick<AllActivities, 'trackOrders' | 'streamOrders'>;
export type SymbolTraderActivities = Omit<AllActivities, 'trackOrders' | 'streamOrders' | 'readAccountEquity' | 'listTraderHoldings'>;
export type PortfolioActivities = Pick<AllActivities, 'readAccountEquity' | 'listTraderHoldings' | 'appendTradeLog'>;
