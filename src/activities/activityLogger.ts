import { log } from '@temporalio/activity';
import type { OmsLogger } from '../oms';

/**
 * The OMS's alerts through the running activity's logger: they carry the activity's context
 * (workflow id, activity type, attempt) and go wherever the worker's Runtime logger sends them.
 * Only valid inside an activity (the SDK's `log` reads the current activity's context).
 */
export const activityLogger: OmsLogger = { error: (message, meta) => log.error(message, meta) };
