import pLimit from 'p-limit';

/**
 * A bound on LLM decisions in flight at once (several symbols' or strategists' decisions; the LLM
 * is the slow part). `limit(fn)` runs fn when fewer than `max` are running and resolves with its
 * result, in the order asked. Built on p-limit.
 */
export type InFlightLimit = <T>(task: () => Promise<T>) => Promise<T>;

export function inFlightLimit(max: number): InFlightLimit {
  if (!Number.isInteger(max) || max < 1) throw new Error(`the in-flight bound must be a whole number of at least 1, got ${max}`);
  const limit = pLimit(max);
  return (task) => limit(task);
}

/** every task through the bound; results in the tasks' order */
export function allLimited<T>(limit: InFlightLimit, tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  return Promise.all(tasks.map((task) => limit(task)));
}
