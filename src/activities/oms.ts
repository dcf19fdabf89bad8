import type { Trade } from '../domain/trade';
import type { OmsResult } from '../domain/omsResult';
import type { ActivityDeps } from './deps';
import { makeScrub, runStep } from './failures';
import { withHeartbeat } from './heartbeat';
import { omsSteps, type ExecuteAiCommandInput } from './omsSteps';
import { activityLogger } from './activityLogger';

/**
 * The OMS steps as activities: execute_ai_command, ensure protection, cancel_pending_order, cancel
 * protection. Thin: the OMS (src/oms, through omsSteps.ts, which the backtest shares) does the work,
 * idempotently by client ids derived from the trade id; these shells give it the shared gateway,
 * heartbeat, and turn what escapes into scrubbed failures (transient ones are retried by Temporal).
 */

export type OmsActivityDeps = Pick<ActivityDeps, 'gateway' | 'risk' | 'secrets'>;

export function omsActivities(deps: OmsActivityDeps) {
  const scrub = makeScrub(deps.secrets);
  const steps = omsSteps({ gateway: deps.gateway, risk: deps.risk, scrub, log: activityLogger });
  return {
    /**
     * The OMS's execute_ai_command. `sequence` is the workflow's command counter: a new trade's id is
     * tradeIdFor(symbol, sequence) and client order ids derive from the trade id + leg, so a retried
     * or re-run activity adopts the orders it already placed.
     */
    async executeAiCommand(input: ExecuteAiCommandInput): Promise<OmsResult> {
      return runStep('executeAiCommand', scrub, () => withHeartbeat(() => steps.executeAiCommand(input)));
    },
    async ensureProtection(input: { trade: Trade; quantity: number }): Promise<OmsResult> {
      return runStep('ensureProtection', scrub, () => withHeartbeat(() => steps.ensureProtection(input)));
    },
    async cancelPendingOrder(input: { trade: Trade; reason: string }): Promise<OmsResult> {
      return runStep('cancelPendingOrder', scrub, () => withHeartbeat(() => steps.cancelPendingOrder(input)));
    },
    async flattenPosition(input: { trade: Trade; reason: string }): Promise<OmsResult> {
      return runStep('flattenPosition', scrub, () => withHeartbeat(() => steps.flattenPosition(input)));
    },
    async cancelProtection(input: { trade: Trade; reason: string }): Promise<OmsResult> {
      return runStep('cancelProtection', scrub, () => withHeartbeat(() => steps.cancelProtection(input)));
    },
  };
}
