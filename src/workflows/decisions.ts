import type { StrategistDecision } from '../contract/results';
import { describeCommand } from './describe';
import type { DecisionSummary, SymbolTraderState } from '../contract/traderState';
import type { TradeLogOutbox } from './tradeLogOutbox';

/** a strategist's answer, or the workflow's own DO_NOTHING when a step failed */
export type CycleDecision = Omit<StrategistDecision, 'source'> & { source: DecisionSummary['source'] };

export function failedDecision(code: string, reason: string): CycleDecision {
  return {
    command: { action: 'DO_NOTHING', reasoning: reason },
    source: 'workflow',
    accepted: false,
    rejection: { stage: 'activity', code, reason },
  };
}

/** the cycle's decision becomes the state's lastDecision and its trade log rows */
export function recordDecision(
  state: SymbolTraderState,
  tradeLog: Pick<TradeLogOutbox, 'add'>,
  sequence: number,
  decision: CycleDecision,
  outcome?: DecisionSummary['outcome'],
  outcomeDetail?: string,
): void {
  const command = decision.command;
  state.lastDecision = {
    sequence,
    at: Date.now(),
    action: command.action,
    command,
    source: decision.source,
    accepted: decision.accepted,
    ...(decision.rejection ? { rejection: decision.rejection } : {}),
    ...(outcome ? { outcome } : {}),
    ...(outcomeDetail ? { outcomeDetail } : {}),
  };
  const trade = state.trade ?? undefined;
  tradeLog.add('DECISION', describeCommand(command), trade, command.action, sequence);
  if (decision.rejection) {
    const r = decision.rejection;
    tradeLog.add('REJECTION', `${r.stage}/${r.code}: ${r.reason}`, trade, command.action, sequence);
  }
  if (outcome === 'NOT_EXECUTED' && outcomeDetail) tradeLog.add('DECISION', `not carried out: ${outcomeDetail}`, trade, command.action, sequence);
}

/** what the OMS made of the last decision */
export function setOutcome(state: SymbolTraderState, outcome: DecisionSummary['outcome'], detail: string): void {
  if (state.lastDecision) state.lastDecision = { ...state.lastDecision, outcome, outcomeDetail: detail };
}
