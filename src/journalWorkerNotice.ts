import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { LineLogger } from './sdkLogger';

/**
 * The SDK's logger less one notice. The trade log's worker serves activities only, by design (one
 * process owns the CSV, deploy/README.md "One trade log across workers"), and the SDK warns "No
 * workflows registered, not polling for workflow tasks" for it at every start: a WARN that a trader
 * reads as trouble in the first lines of `npm start`. Dropped for the journal's queue only, so a
 * trading worker without its workflows, a real mistake, still warns.
 */
const NO_WORKFLOWS = 'No workflows registered, not polling for workflow tasks';

export function isJournalWorkerNotice(level: LogLevel, message: string, meta: LogMetadata | undefined, journalQueue: string): boolean {
  return level === 'WARN' && message === NO_WORKFLOWS && meta?.taskQueue === journalQueue;
}

export class WithoutJournalWorkerNotice extends LineLogger {
  constructor(
    private readonly downstream: Logger,
    private readonly journalQueue: string,
  ) {
    super();
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (!isJournalWorkerNotice(level, message, meta, this.journalQueue)) this.downstream.log(level, message, meta);
  }
}
