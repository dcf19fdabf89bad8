/** The Order Management System: what activities call. */
export { executeAiCommand } from './executeAiCommand';
export { placeTradePlan } from './placeTradePlan';
export { cancelPendingOrder } from './cancelPendingOrder';
export { modifyActiveTrade } from './modifyActiveTrade';
export { ensureProtection, cancelProtection, cancelProtectionAndReadFills, exitFillsOfLists, type EnsureProtectionOptions, type ProtectionOutcome } from './protection';
export { OrderTracker, DEFAULT_TRACKING_INTERVAL_MS } from './trackOrders';
export { reconcile, type ReconcileReport, type ReconcileOptions } from './reconcile';
export { recoverTrade, type RecoveryResult, type RecoverOptions } from './recoverTrade';
export { applyEvents } from './applyEvents';
export { flattenPosition, type FlattenOutcome } from './flattenPosition';
export * from './clientIds';
export { CONSOLE_OMS_LOGGER, SILENT_OMS_LOGGER, type OmsLogger } from './logger';
export type { OmsContext, OmsResult, OmsOutcome, ProtectionSettings } from './types';
