import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { LineLogger } from '../sdkLogger';

/**
 * The worker's Runtime logger for `npm start`. While the Temporal server is unreachable the SDK's
 * core warns about every retried poll (about two lines a second); a trader needs one line when it
 * goes and one when it is back, not a stream. This logger counts those warnings during an outage
 * and prints a summary when it ends; everything else goes to the downstream logger unchanged.
 */

/** The SDK core's connection retries (forwarded from Rust: target temporalio_client::retry). */
export function isConnectionRetry(level: LogLevel, message: string, meta?: LogMetadata): boolean {
  if (level !== 'WARN' && level !== 'ERROR') return false;
  const target = typeof meta?.target === 'string' ? meta.target : '';
  if (target.startsWith('temporalio_client::retry')) return true;
  const text = `${message} ${meta?.error === undefined ? '' : String(meta.error)}`;
  return /tcp connect error|Connection refused|code: Unavailable|transport error/i.test(text);
}

export interface OutageLoggerOptions {
  /** where the one-line announcements go (the console) */
  print: (line: string) => void;
  /** called when retries start without anyone having announced an outage (a server we did not start) */
  onUnannounced?: () => void;
  now?: () => number;
  /** retries this long after an outage ended are late echoes of it, folded in silently */
  echoMs?: number;
}

export class OutageLogger extends LineLogger {
  private outage: { since: number; retries: number } | undefined;
  private echoesUntil = 0;
  private readonly now: () => number;

  constructor(
    private readonly downstream: Logger,
    private readonly opts: OutageLoggerOptions,
  ) {
    super();
    this.now = opts.now ?? Date.now;
  }

  /** the server is known to be gone (the supervisor saw it die): count from now */
  begin(): void {
    this.outage ??= { since: this.now(), retries: 0 };
  }

  get inOutage(): boolean {
    return this.outage !== undefined;
  }

  /** the server answers again: the summary line, or undefined when there was no outage */
  end(): string | undefined {
    const o = this.outage;
    if (!o) return undefined;
    this.outage = undefined;
    this.echoesUntil = this.now() + (this.opts.echoMs ?? 10_000);
    const seconds = Math.max(1, Math.round((this.now() - o.since) / 1000));
    return `Temporal server unreachable for ${seconds} s, ${o.retries} SDK retry warnings summarised`;
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (!isConnectionRetry(level, message, meta)) {
      this.downstream.log(level, message, meta);
      return;
    }
    if (this.outage) {
      this.outage.retries++;
    } else if (this.now() >= this.echoesUntil) {
      this.outage = { since: this.now(), retries: 1 };
      this.opts.print('Temporal server unreachable: the worker keeps retrying (one summary line when it is back)');
      this.opts.onUnannounced?.();
    }
  }
}
