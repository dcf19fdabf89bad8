import { ApplicationFailure } from '@temporalio/activity';
import type { TradeLogRow } from '../domain/tradeLogRow';
import { TradeLogError } from '../journal/tradeLog';
import type { ActivityDeps } from './deps';
import { makeScrub, scrubValue } from './failures';

/** appendTradeLog: the journal rows of one workflow step; idempotent by row id. */
export function journalActivities(deps: Pick<ActivityDeps, 'tradeLog' | 'secrets'>) {
  const scrub = makeScrub(deps.secrets);
  return {
    /** Append rows to the trade log; a row whose id is already in the file is skipped. */
    async appendTradeLog(input: { rows: TradeLogRow[] }): Promise<void> {
      try {
        await deps.tradeLog.append(input.rows.map((row) => scrubValue(row, scrub)));
      } catch (err) {
        // a malformed row or a damaged file will not get better by retrying; a full disk or an
        // I/O error may, and the retry cannot write a row twice
        const message = `appendTradeLog: ${scrub(err instanceof Error ? err.message : String(err))}`;
        if (err instanceof TradeLogError) throw ApplicationFailure.nonRetryable(message, 'TradeLogError');
        throw ApplicationFailure.retryable(message, (err as NodeJS.ErrnoException).code ?? 'TradeLogIOError');
      }
    },
  };
}
