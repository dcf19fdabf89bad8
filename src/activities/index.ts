import type { ActivityDeps } from './deps';
import { journalActivities } from './journal';
import { marketDataActivities } from './marketData';
import { omsActivities } from './oms';
import { reconcileActivities } from './reconcile';
import { strategistActivities } from './strategist';
import { trackerActivities } from './tracker';
import type { AllActivities } from './types';

export type { ActivityDeps } from './deps';
export type { OmsActivityResult } from './oms';
export type { TradeLogRowDetails } from './journal';

/**
 * Every activity the worker registers, built over the worker's shared dependencies. The names are
 * the seed's steps (reconcileSymbol, fetchMarketData, askStrategist, executeAiCommand,
 * ensureProtection, cancelPendingOrder, cancelProtection, watchOrders, appendTradeLog,
 * trackOrders): they are what a trader reads in the Web UI.
 */
export function createActivities(deps: ActivityDeps): AllActivities {
  return {
    ...reconcileActivities(deps),
    ...marketDataActivities(deps),
    ...strategistActivities(deps),
    ...omsActivities(deps),
    ...trackerActivities(deps),
    ...journalActivities(deps),
  };
}
