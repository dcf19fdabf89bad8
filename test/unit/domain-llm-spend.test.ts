import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { budgetSpent, daySpendProblem, mergedSpend, spendEntryProblem, withEntry, type DaySpend, type SpendEntry } from '../../src/domain/llmBudget';

/** The one LLM spend ledger's rules (src/domain/llmBudget.ts), which the portfolio workflow applies. */

const usage = (totalTokens: number) => ({ promptTokens: totalTokens - 100, completionTokens: 100, totalTokens });
const entry = (day: string, tokens: number, cost: number | null = null): SpendEntry => ({ day, usage: usage(tokens), cost });

describe('the LLM spend ledger', () => {
  test('answers add up within a day; a new day starts afresh; an answer of a day already over is not counted', () => {
    let ledger: DaySpend | null = null;
    ledger = withEntry(ledger, entry('2026-05-19', 1_000, 0.002));
    ledger = withEntry(ledger, entry('2026-05-19', 1_500, null));
    assert.deepEqual(ledger, { day: '2026-05-19', tokens: 2_500, cost: 0.002, calls: 2 });
    assert.match(budgetSpent(withEntry(ledger, entry('2026-05-19', 500)), { dailyTokens: 3_000, dailyCost: null }) ?? '', /used 3000 tokens today \(2026-05-19 UTC, 3 calls\)/);
    ledger = withEntry(ledger, entry('2026-05-20', 300));
    assert.deepEqual(ledger, { day: '2026-05-20', tokens: 300, cost: 0, calls: 1 });
    // reported late (a worker's clock behind, a retry after midnight): yesterday's, not today's
    assert.deepEqual(withEntry(ledger, entry('2026-05-19', 9_999)), ledger);
  });

  test("a worker's copy seeds a ledger that lost the day: merged by the larger figures, never added", () => {
    const copy: DaySpend = { day: '2026-05-19', tokens: 2_000, cost: 0.01, calls: 2 };
    assert.deepEqual(mergedSpend(null, copy), copy);
    assert.deepEqual(mergedSpend({ day: '2026-05-19', tokens: 1_000, cost: 0.02, calls: 1 }, copy), { day: '2026-05-19', tokens: 2_000, cost: 0.02, calls: 2 });
    assert.deepEqual(mergedSpend({ day: '2026-05-19', tokens: 2_000, cost: 0.01, calls: 2 }, copy), copy, 'the same figure twice is still the figure');
    assert.deepEqual(mergedSpend({ day: '2026-05-20', tokens: 10, cost: 0, calls: 1 }, copy), { day: '2026-05-20', tokens: 10, cost: 0, calls: 1 }, "an old day's copy changes nothing");
    assert.deepEqual(mergedSpend({ day: '2026-05-18', tokens: 10, cost: 0, calls: 1 }, copy), copy, 'a newer day replaces an older one');
  });

  test('malformed reports are refused with what is wrong', () => {
    assert.equal(spendEntryProblem(entry('2026-05-19', 1_000, 0.5)), null);
    assert.equal(spendEntryProblem(entry('2026-05-19', 1_000, null)), null);
    assert.match(spendEntryProblem(entry('19.05.2026', 1_000)) ?? '', /^day must be a UTC day YYYY-MM-DD, got "19\.05\.2026"$/);
    assert.match(spendEntryProblem({ day: '2026-05-19', usage: { ...usage(1_000), totalTokens: Number.NaN }, cost: null }) ?? '', /^usage\.totalTokens must be a number of 0 or more, got null$/);
    assert.match(spendEntryProblem({ day: '2026-05-19', usage: usage(1_000), cost: -1 }) ?? '', /^spend\.cost must be a number of 0 or more, got -1$/);
    assert.match(spendEntryProblem({ day: '2026-05-19' } as SpendEntry) ?? '', /^usage must be an object/);
    assert.equal(daySpendProblem({ day: '2026-05-19', tokens: 1, cost: 0, calls: 1 }), null);
    assert.match(daySpendProblem({ day: '2026-05-19', tokens: -1, cost: 0, calls: 1 }) ?? '', /^spend\.tokens must be a number of 0 or more, got -1$/);
    assert.match(daySpendProblem(null as unknown as DaySpend) ?? '', /^the spend must be an object/);
  });
});
