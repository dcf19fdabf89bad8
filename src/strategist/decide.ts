import { capReasoning, capText, DEFAULT_MAX_REASONING_CHARS, MAX_REASON_CHARS } from '../domain/answerBounds';
import { doNothing, type AiCommand } from '../domain/commands';
import type { Trade } from '../domain/trade';
import { validateCommand, type DecisionContext } from '../domain/validation';
import type { MarketSnapshot } from './marketSnapshot';
import type { Prompt } from './prompt';
import { FatalStrategistError, type DecisionUsage, type Strategist, type StrategistKind } from './strategist';

export type RejectionStage = 'llm' | 'parse' | 'validation';

export interface Decision {
  /** the validated command, or DO_NOTHING when anything went wrong */
  command: AiCommand;
  source: StrategistKind;
  /** true when the strategist's own command passed validation (a chosen DO_NOTHING included) */
  accepted: boolean;
  rejection?: { stage: RejectionStage; code: string; reason: string };
  rawAnswer?: string;
  prompt?: Prompt;
  /** what the LLM call cost (the API's usage field), when there was one */
  usage?: DecisionUsage;
  /** the answer came from the backtest's answer cache */
  cached?: boolean;
}

export interface DecideInput {
  symbol: string;
  trade: Trade | null;
  snapshot: MarketSnapshot;
  context: DecisionContext;
  strategist: Strategist;
  /** strategist.max_reasoning_chars: the command's reasoning is cut past it (default 1000) */
  maxReasoningChars?: number;
}

/**
 * One decision for one symbol and cycle: ask the strategist, then validate. Never throws and never
 * lets an invalid command through: every failure (LLM call, reading the answer, validation) becomes
 * DO_NOTHING with the stage, a code and a reason a trader can read.
 */
export async function decide(input: DecideInput): Promise<Decision> {
  const source = input.strategist.kind;
  let proposal;
  try {
    proposal = await input.strategist.propose({
      symbol: input.symbol,
      trade: input.trade,
      snapshot: input.snapshot,
      context: input.context,
    });
  } catch (err) {
    if (err instanceof FatalStrategistError) throw err;
    return rejected(source, 'llm', 'STRATEGIST_ERROR', `the strategist failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const extras = { rawAnswer: proposal.rawAnswer, prompt: proposal.prompt, usage: proposal.usage, cached: proposal.cached };
  // the source is who actually decided: the rules strategist when the LLM's budget is spent
  const decidedBy = proposal.source ?? source;
  if (!proposal.ok) return rejected(decidedBy, proposal.stage, proposal.code, proposal.reason, extras);

  let verdict;
  try {
    verdict = validateCommand(proposal.command, input.context);
  } catch (err) {
    return rejected(decidedBy, 'validation', 'VALIDATION_ERROR', `the command could not be checked: ${(err as Error).message}`, extras);
  }
  if (!verdict.ok) return rejected(decidedBy, 'validation', verdict.code, verdict.reason, extras);
  const command = capReasoning(verdict.command, input.maxReasoningChars ?? DEFAULT_MAX_REASONING_CHARS);
  return { command, source: decidedBy, accepted: true, ...defined(extras) };
}

function rejected(
  source: StrategistKind,
  stage: RejectionStage,
  code: string,
  reason: string,
  extras: Pick<Decision, 'rawAnswer' | 'prompt' | 'usage' | 'cached'> = {},
): Decision {
  reason = capText(reason, MAX_REASON_CHARS);
  return {
    command: doNothing(`${source} answer rejected (${stage}, ${code}): ${reason}`),
    source,
    accepted: false,
    rejection: { stage, code, reason },
    ...defined(extras),
  };
}

/** leave out undefined fields: Decisions travel through Temporal payloads and the trade log */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
