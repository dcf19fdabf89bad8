import { addSpend, mergedSpend, spendOf, utcDay, type DaySpend, type TokenUsage } from '../domain/llmBudget';
import { readStateFile, writeStateFile } from '../marketdata/stateFile';

/**
 * Where the LLM budget reads the day's spend and records each answer. A worker of a deployment
 * uses the portfolio workflow's ledger (src/activities/llmSpendBook.ts), which every worker shares;
 * the file ledger below serves one process alone (tests, tools) and is each worker's copy.
 */
export interface SpendBook {
  /** the spend of the UTC day of `now`; throws when it cannot be known (then the LLM is not called) */
  today(now: number): DaySpend | Promise<DaySpend>;
  /** one answer's usage and cost (null: the model has no price), spent at `now` */
  record(usage: TokenUsage, cost: number | null, now: number): unknown;
}

/**
 * Today's LLM spend in a small file under data/ (strategist.budget.state_file), kept across
 * restarts; without a path, in memory. One process per file: its calls are counted in order, and
 * two processes recording into one file would overwrite each other's counts. A worker keeps here
 * its copy of the shared ledger's figure (`keep`), which seeds a ledger that lost it.
 */
export class SpendLedger implements SpendBook {
  #saved: DaySpend | null;

  constructor(readonly path?: string) {
    this.#saved = path ? readStateFile<DaySpend | null>(path, null, isDaySpend) : null;
  }

  today(now = Date.now()): DaySpend {
    return spendOf(this.#saved, utcDay(now));
  }

  record(usage: TokenUsage, cost: number | null, now = Date.now()): DaySpend {
    return this.#save(addSpend(this.today(now), usage, cost));
  }

  /** the shared ledger's figure, as a copy (the later day, or the larger figures of the same day) */
  keep(spend: DaySpend): DaySpend {
    return this.#save(mergedSpend(this.#saved, spend));
  }

  #save(spend: DaySpend): DaySpend {
    const changed = JSON.stringify(spend) !== JSON.stringify(this.#saved);
    this.#saved = spend;
    if (this.path && changed) writeStateFile(this.path, spend);
    return spend;
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
