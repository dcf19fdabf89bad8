import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

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

export class WithoutJournalWorkerNotice implements Logger {
  constructor(
    private readonly downstream: Logger,
    private readonly journalQueue: string,
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (!isJournalWorkerNotice(level, message, meta, this.journalQueue)) this.downstream.log(level, message, meta);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
