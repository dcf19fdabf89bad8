import { patched } from '@temporalio/workflow';
import { cycleGrid, firstCycleAt, nextCycleAfter, type CycleGrid } from '../domain/cycleSchedule';
import type { SymbolTraderInput, SymbolTraderState } from '../contract/traderState';
import { nextDueTime } from './cadence';

/** patch: cycles on the candle grid plus the symbol's own offset (src/domain/cycleSchedule.ts) */
export const CANDLE_ALIGNED_CYCLES_PATCH = 'candle-aligned-cycles';

/**
 * When the trader's cycles come due. A trader started with `cycleAlignment` (the product starts
 * every trader so) decides just after its candles close, a few seconds after the close by an offset
 * of its own, so that many symbols do not all come due in the same instant. Without it, or in a
 * workflow that began before this existed (`patched`, so its history replays), the grid starts at
 * the trader's start, as it always did.
 */
export class CycleClock {
  readonly #grid: CycleGrid | null;

  constructor(
    state: Pick<SymbolTraderState, 'nextCycleAt'>,
    private readonly input: Pick<SymbolTraderInput, 'symbol' | 'cycleIntervalMs' | 'cycleAlignment' | 'state'>,
  ) {
    const alignment = input.cycleAlignment;
    this.#grid = alignment && patched(CANDLE_ALIGNED_CYCLES_PATCH) ? cycleGrid(input.symbol, input.cycleIntervalMs, alignment.maxOffsetMs) : null;
    // a fresh start only: a continued run keeps the due time its predecessor handed over
    if (this.#grid && alignment && !input.state) state.nextCycleAt = firstCycleAt(this.#grid, state.nextCycleAt, alignment.firstCycle);
  }

  /** the due time after the cycle (due at `due`) that started at `startedAt` */
  next(due: number, startedAt: number): number {
    return this.#grid ? nextCycleAfter(this.#grid, startedAt) : nextDueTime(due, this.input.cycleIntervalMs, startedAt);
  }
}
