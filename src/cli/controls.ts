import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { ControlOutcome } from '../contract/traderState';
import { CliError } from './errors';
import { firstLine } from './context';

/** how long a control may take to answer: it waits for the trader's current step and one exchange call */
export const CONTROL_TIMEOUT_MS = 60_000;

export type ControlAnswer =
  | { kind: 'done'; outcome: ControlOutcome }
  /** the run predates the Updates (started before they existed): the caller falls back to the signal */
  | { kind: 'no-handler' };

/**
 * Sends a control Update and waits for what happened. A validator's refusal becomes a CliError with
 * its own words; a run that has no handler for it says so, so that the signal can be sent instead.
 */
export async function sendControl<Arg>(
  connection: { withDeadline<R>(deadline: number, fn: () => Promise<R>): Promise<R> },
  handle: WorkflowHandle,
  update: UpdateDefinition<ControlOutcome, [Arg?]>,
  arg: Arg,
  symbol: string,
): Promise<ControlAnswer> {
  try {
    const outcome = await connection.withDeadline(Date.now() + CONTROL_TIMEOUT_MS, () => handle.executeUpdate(update.name, { args: [arg] }) as Promise<ControlOutcome>);
    return { kind: 'done', outcome };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const why = err.cause?.message ?? err.message;
      if (/No registered handler for update/.test(why)) return { kind: 'no-handler' };
      throw new CliError(why);
    }
    // gRPC DEADLINE_EXCEEDED (4): no worker took the Update in time
    if ((err as { code?: number }).code === 4 || /deadline/i.test(firstLine(err))) {
      throw new CliError(`${symbol}: no answer within ${CONTROL_TIMEOUT_MS / 1000} s; is a worker running (npm start, or npm run worker)? See: status ${symbol}`);
    }
    throw err;
  }
}
