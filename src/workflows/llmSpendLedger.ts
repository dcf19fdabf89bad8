import { setHandler } from '@temporalio/workflow';
import { daySpendProblem, mergedSpend, spendEntryProblem, withEntry, type DaySpend } from '../domain/llmBudget';
import { llmSpendQuery, recordLlmSpendUpdate, seedLlmSpendUpdate } from '../contract/portfolioApi';
import type { PortfolioState } from '../contract/portfolioState';

/**
 * The portfolio keeps the deployment's one LLM spend ledger (strategist.budget): every worker, on
 * any machine, reports each answer here and checks the day's spend here before the next call, so
 * several workers spend one budget, not one each. The handlers do not wait on anything: an Update
 * is applied whole in the order the server delivers it, so two answers reported at once both count.
 * The figure lives in the portfolio's state and is carried over continue-as-new.
 *
 * Handlers only, no new commands: histories from before the ledger replay as they were.
 * `shown` refreshes the workflow's current details (the Web UI card), which are not a command.
 */
export function keepLlmSpend(state: PortfolioState, shown: () => void): void {
  const kept = (spend: DaySpend): DaySpend => {
    state.llmSpend = spend;
    shown();
    return spend;
  };
  setHandler(recordLlmSpendUpdate, (entry) => kept(withEntry(state.llmSpend ?? null, entry)), {
    validator: (entry) => refuseIf('recordLlmSpend', spendEntryProblem(entry)),
  });
  setHandler(seedLlmSpendUpdate, (copy) => kept(mergedSpend(state.llmSpend ?? null, copy)), {
    validator: (copy) => refuseIf('seedLlmSpend', daySpendProblem(copy)),
  });
  setHandler(llmSpendQuery, () => state.llmSpend ?? null);
}

function refuseIf(update: string, problem: string | null): void {
  if (problem) throw new Error(`${update} refused: ${problem}`);
}
