import { addSpend, spendOf, utcDay, type DaySpend, type TokenUsage } from '../domain/llmBudget';
import { readStateFile, writeStateFile } from '../marketdata/stateFile';

/**
 * Today's LLM spend, kept in a small file under data/ (strategist.budget.state_file) so that a
 * worker restart does not hand the model a fresh budget. Without a path, in memory (tests, tools).
 * One worker process per file: calls of one process are counted in order; two processes on one
 * file would overwrite each other's counts.
 */
export class SpendLedger {
  #saved: DaySpend | null;

  constructor(readonly path?: string) {
    this.#saved = path ? readStateFile<DaySpend | null>(path, null, isDaySpend) : null;
  }

  today(now = Date.now()): DaySpend {
    return spendOf(this.#saved, utcDay(now));
  }

  record(usage: TokenUsage, cost: number | null, now = Date.now()): DaySpend {
    this.#saved = addSpend(this.today(now), usage, cost);
    if (this.path) writeStateFile(this.path, this.#saved);
    return this.#saved;
  }
}

/** today's spend as saved in `path` (for the CLI); nothing spent when there is no file */
export function readSpendToday(path: string, now = Date.now()): DaySpend {
  return spendOf(readStateFile<DaySpend | null>(path, null, isDaySpend), utcDay(now));
}

function isDaySpend(v: unknown): v is DaySpend | null {
  if (v === null) return true;
  const s = v as DaySpend;
  return typeof v === 'object' && typeof s.day === 'string' && [s.tokens, s.cost, s.calls].every((n) => typeof n === 'number' && Number.isFinite(n));
}
