import { ApplicationFailure } from '@temporalio/workflow';
import { MIN_CYCLE_INTERVAL_MS } from './cadence';
import { FIRST_CYCLES } from '../domain/cycleSchedule';
import type { SymbolTraderInput, SymbolTraderState } from '../contract/traderState';

/** a bad start fails the workflow at once with a reason, instead of looping on nonsense */
export function checkInput(input: SymbolTraderInput): void {
  const problems: string[] = [];
  if (!input || typeof input.symbol !== 'string' || !/^[A-Z0-9]{5,20}$/.test(input.symbol)) {
    problems.push(`symbol must be canonical like BTCUSDT, got ${JSON.stringify(input?.symbol)}`);
  }
  if (!(Number.isFinite(input?.cycleIntervalMs) && input.cycleIntervalMs >= MIN_CYCLE_INTERVAL_MS)) {
    problems.push(`cycleIntervalMs must be at least ${MIN_CYCLE_INTERVAL_MS} ms, got ${JSON.stringify(input?.cycleIntervalMs)}`);
  }
  if (input?.maxCyclesPerRun !== undefined && !(Number.isInteger(input.maxCyclesPerRun) && input.maxCyclesPerRun >= 1)) {
    problems.push(`maxCyclesPerRun must be a whole number >= 1, got ${JSON.stringify(input.maxCyclesPerRun)}`);
  }
  if (input?.reconcileIntervalMs !== undefined && !(Number.isFinite(input.reconcileIntervalMs) && input.reconcileIntervalMs >= MIN_CYCLE_INTERVAL_MS)) {
    problems.push(`reconcileIntervalMs must be at least ${MIN_CYCLE_INTERVAL_MS} ms, got ${JSON.stringify(input.reconcileIntervalMs)}`);
  }
  const alignment = input?.cycleAlignment;
  if (alignment !== undefined) {
    if (!FIRST_CYCLES.includes(alignment?.firstCycle)) problems.push(`cycleAlignment.firstCycle must be ${FIRST_CYCLES.join(' or ')}, got ${JSON.stringify(alignment?.firstCycle)}`);
    if (!(Number.isFinite(alignment?.maxOffsetMs) && alignment.maxOffsetMs >= 0 && alignment.maxOffsetMs < input.cycleIntervalMs)) {
      problems.push(`cycleAlignment.maxOffsetMs must be at least 0 and below cycleIntervalMs, got ${JSON.stringify(alignment?.maxOffsetMs)}`);
    }
  }
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`symbolTrader input: ${problems.join('; ')}`, 'InvalidTraderInput');
}

/** a first run starts from nothing; a continued run takes over its predecessor's state */
export function startingState(input: SymbolTraderInput): SymbolTraderState {
  return input.state ? { ...input.state, runs: input.state.runs + 1, phase: 'RECONCILING' } : freshState(input);
}

export function freshState(input: SymbolTraderInput): SymbolTraderState {
  return {
    symbol: input.symbol,
    mode: input.mode,
    phase: 'RECONCILING',
    trade: null,
    sequence: 0,
    nextCycleAt: Date.now(),
    lastCycleAt: null,
    lastDecision: null,
    seenEventIds: [],
    journalSeq: 0,
    runs: 1,
    lastError: null,
    stopRequested: false,
    pendingRows: [],
  };
}
