import { proxyActivities } from '@temporalio/workflow';
import type { SymbolTraderActivities } from '../activities';

/**
 * The trader's side of portfolio slots: Updates on the portfolio workflow, quick but retried
 * patiently (a slot must be released; a grant is idempotent by trade id, so retrying is safe).
 */
export const slots = proxyActivities<Pick<SymbolTraderActivities, 'requestSlot' | 'releaseSlot'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
