import { proxyActivities } from '@temporalio/workflow';
import type { PortfolioActivities } from '../activities';
import { HEARTBEAT_TIMEOUT } from './activities';

/** the portfolio workflow's activities: reads only (and the trade log), retried a few times each */

/** a failed reading costs one interval; the kill switch judges the next one */
export const equity = proxyActivities<Pick<PortfolioActivities, 'readAccountEquity'>>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4 },
});

export const holdings = proxyActivities<Pick<PortfolioActivities, 'listTraderHoldings'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4 },
});
