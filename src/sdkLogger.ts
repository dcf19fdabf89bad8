import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/**
 * A Runtime logger that decides per line (the SDK calls both `log` and the level methods): the
 * subclass writes `log`, the level methods go through it.
 */
export abstract class LineLogger implements Logger {
  abstract log(level: LogLevel, message: string, meta?: LogMetadata): void;

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
