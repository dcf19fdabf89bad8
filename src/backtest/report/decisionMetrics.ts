import { COMMAND_ACTIONS } from '../../domain/commands';
import type { DecisionRecord, LlmUsage } from '../runTypes';

/** What the strategist said and what became of it: counts by command, by rejection code, staleness, tokens. */
export interface DecisionMetrics {
  decisions: number;
  /** the command as executed (a rejected answer counts as the DO_NOTHING it became) */
  byCommand: Record<string, number>;
  accepted: number;
  rejected: number;
  /** rejection code -> count, codes sorted */
  rejectedByCode: Record<string, number>;
  /** outcome -> count, outcomes sorted */
  byOutcome: Record<string, number>;
  stale: number;
  /** tokens recorded on the decisions themselves (the API's usage field) */
  promptTokens: number;
  completionTokens: number;
  /** USD recorded on the decisions (their tokens at the model's prices; cached answers cost 0) */
  cost: number;
  cachedAnswers: number;
}

export function decisionMetrics(decisions: readonly DecisionRecord[]): DecisionMetrics {
  const byCommand: Record<string, number> = Object.fromEntries(COMMAND_ACTIONS.map((a) => [a, 0]));
  const rejectedByCode: Record<string, number> = {};
  const byOutcome: Record<string, number> = {};
  let accepted = 0;
  let stale = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let cachedAnswers = 0;
  let cost = 0;
  for (const d of decisions) {
    byCommand[d.command.action] = (byCommand[d.command.action] ?? 0) + 1;
    if (d.accepted) accepted++;
    else {
      const code = d.rejection?.code ?? 'UNKNOWN';
      rejectedByCode[code] = (rejectedByCode[code] ?? 0) + 1;
    }
    byOutcome[d.outcome] = (byOutcome[d.outcome] ?? 0) + 1;
    if (d.stale) stale++;
    if (d.cached) cachedAnswers++;
    promptTokens += d.tokens?.prompt ?? 0;
    completionTokens += d.tokens?.completion ?? 0;
    cost += d.cost ?? 0;
  }
  return {
    decisions: decisions.length,
    byCommand,
    accepted,
    rejected: decisions.length - accepted,
    rejectedByCode: sortedKeys(rejectedByCode),
    byOutcome: sortedKeys(byOutcome),
    stale,
    promptTokens,
    completionTokens,
    cost,
    cachedAnswers,
  };
}

export function mergeDecisionMetrics(parts: readonly DecisionMetrics[]): DecisionMetrics {
  const add = (target: Record<string, number>, source: Record<string, number>) => {
    for (const [k, v] of Object.entries(source)) target[k] = (target[k] ?? 0) + v;
    return target;
  };
  const byCommand: Record<string, number> = Object.fromEntries(COMMAND_ACTIONS.map((a) => [a, 0]));
  const total = (key: 'decisions' | 'accepted' | 'rejected' | 'stale' | 'promptTokens' | 'completionTokens' | 'cost' | 'cachedAnswers') =>
    parts.reduce((s, p) => s + p[key], 0);
  return {
    decisions: total('decisions'),
    byCommand: parts.reduce((acc, p) => add(acc, p.byCommand), byCommand),
    accepted: total('accepted'),
    rejected: total('rejected'),
    rejectedByCode: sortedKeys(parts.reduce((acc, p) => add(acc, p.rejectedByCode), {} as Record<string, number>)),
    byOutcome: sortedKeys(parts.reduce((acc, p) => add(acc, p.byOutcome), {} as Record<string, number>)),
    stale: total('stale'),
    promptTokens: total('promptTokens'),
    completionTokens: total('completionTokens'),
    cost: total('cost'),
    cachedAnswers: total('cachedAnswers'),
  };
}

/** LLM figures: the engine's totals when it gave them, else what the decisions recorded */
export type LlmFigures = Omit<LlmUsage, 'cost'> & { cost: number | null };

export function llmMetrics(usage: LlmUsage | undefined, decisions: DecisionMetrics): LlmFigures {
  if (usage) return { ...usage, cost: usage.cost ?? null };
  return {
    calls: decisions.decisions - decisions.cachedAnswers,
    cacheHits: decisions.cachedAnswers,
    promptTokens: decisions.promptTokens,
    completionTokens: decisions.completionTokens,
    cost: null,
  };
}

function sortedKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
