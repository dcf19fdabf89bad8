import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { assessHalt, markEquity, resumedBook, resumeProblem, riskFigures } from '../domain/envelope/killSwitch';
import { reconcileGrants } from '../domain/envelope/reconcileGrants';
import { decideSlot, exposureOf, percent, slotRequestProblem } from '../domain/envelope/slots';
import { failureMessage } from './describe';
import { traderWorkflowId } from '../contract/ids';
import { portfolioHaltSignal, portfolioQuery, releaseSlotUpdate, requestSlotUpdate, resumeUpdate } from '../contract/portfolioApi';
import { equity, holdings } from './portfolioActivities';
import { describeView } from '../contract/portfolioDescribe';
import { RELEASED_LIMIT, type HaltNotice, type PortfolioInput, type PortfolioState, type PortfolioView } from '../contract/portfolioState';
import { PortfolioStatusKey } from '../contract/searchAttributes';
import { TradeLogOutbox } from './tradeLogOutbox';
import { keepLlmSpend } from './llmSpendLedger';
import { equitySummary, equityTimerSummary, firstReadingWaitSummary, holdingsSummary } from './summaries';

const DEFAULT_RECONCILE_EVERY = 5;
const DEFAULT_MAX_READINGS_PER_RUN = 500;
/** how long a slot request waits for the first equity reading before it is refused */
const FIRST_READING_WAIT_MS = 30_000;

/**
 * The portfolio-wide envelope, id `portfolio`: one place that grants open-trade slots (count,
 * exposure, per-symbol caps) atomically through Updates, reads the account's equity on a durable
 * timer and HALTS the portfolio on a breach of the daily loss limit or the maximum drawdown. It
 * reconciles its grants with what the traders really hold, at start and periodically, so a slot
 * is never leaked and no trade runs without one. It also keeps the deployment's one LLM spend
 * ledger (llmSpendLedger.ts).
 */
export async function portfolio(input: PortfolioInput): Promise<PortfolioState> {
  const state: PortfolioState = input.state ?? {
    symbol: 'PORTFOLIO',
    status: 'ACTIVE',
    grants: {},
    book: null,
    halt: null,
    released: [],
    lastRefusal: null,
    lastError: null,
    sequence: 0,
    journalSeq: 0,
    runs: 0,
  };
  state.runs++;
  const tradeLog = new TradeLogOutbox(state, state.pendingRows ?? []);
  delete state.pendingRows;
  const journal = (kind: 'CONTROL' | 'REJECTION' | 'RECONCILE', detail: string, action?: string) => tradeLog.add(kind, detail, undefined, action);
  /** a halt whose traders are still to be told */
  let haltToAnnounce: HaltNotice | null = null;
  let published: string | null = null;

  setHandler(
    requestSlotUpdate,
    async (req) => {
      if (!state.book) await condition(() => state.book !== null, FIRST_READING_WAIT_MS, { summary: firstReadingWaitSummary(req.tradeId) });
      if (state.released.includes(req.tradeId)) {
        return { granted: false, code: 'TRADE_ENDED', reason: `trade ${req.tradeId} already ended and gave its slot back` } as const;
      }
      // no await between deciding and recording: two requests can never both take the last slot
      const decision = decideSlot(state.grants, req, { limits: input.limits, equity: state.book?.lastEquity ?? null, halt: state.halt, now: Date.now() });
      if (decision.granted) {
        if (!decision.repeated) state.grants[req.tradeId] = decision.grant;
      } else {
        state.lastRefusal = { tradeId: req.tradeId, symbol: req.symbol, code: decision.code, reason: decision.reason, at: Date.now() };
      }
      publish();
      return decision;
    },
    {
      validator: (req) => {
        const problem = slotRequestProblem(req);
        if (problem) throw new Error(`requestSlot refused: ${problem}`);
      },
    },
  );
  setHandler(
    releaseSlotUpdate,
    (req) => {
      const grant = state.grants[req.tradeId];
      if (!state.released.includes(req.tradeId)) state.released = [...state.released, req.tradeId].slice(-RELEASED_LIMIT);
      if (!grant) return { released: false };
      delete state.grants[req.tradeId];
      journal('CONTROL', `slot of ${req.tradeId} (${grant.symbol}) released: ${req.reason}`, 'SLOT_RELEASED');
      publish();
      return { released: true };
    },
    {
      validator: (req) => {
        if (!req || typeof req.tradeId !== 'string' || req.tradeId.trim() === '') throw new Error('releaseSlot refused: tradeId must be a non-empty string');
      },
    },
  );
  setHandler(
    resumeUpdate,
    (req: { by?: string }): PortfolioView => {
      const halt = state.halt!;
      state.halt = null;
      if (state.book) state.book = resumedBook(state.book);
      journal('CONTROL', `RESUMED by ${req?.by?.trim() || 'resume'} after: ${halt.reason}; the drawdown peak restarts from equity ${state.book?.lastEquity ?? '?'}`, 'RESUMED');
      publish();
      return view();
    },
    {
      validator: (_req: { by?: string }): void => {
        const problem = resumeProblem(state.halt);
        if (problem) throw new Error(`resume refused: ${problem}`);
      },
    },
  );
  setHandler(portfolioQuery, () => view());
  keepLlmSpend(state, showDetails);
  publish();

  let readings = 0;
  const reconcileEvery = input.reconcileEvery ?? DEFAULT_RECONCILE_EVERY;
  const maxReadings = input.maxReadingsPerRun ?? DEFAULT_MAX_READINGS_PER_RUN;
  for (;;) {
    await readEquity();
    if (readings % reconcileEvery === 0) await reconcile();
    readings++;
    if (haltToAnnounce) await announceHalt(haltToAnnounce);
    await tradeLog.flush();
    if (readings >= maxReadings || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof portfolio>({ ...input, state: { ...state, pendingRows: tradeLog.unwritten() } });
    }
    await condition(() => false, input.equityIntervalMs, { summary: equityTimerSummary(Date.now() + input.equityIntervalMs) });
  }

  // ===========================================================================================

  async function readEquity(): Promise<void> {
    let reading;
    try {
      reading = await equity.readAccountEquity.executeWithOptions({ summary: equitySummary(input.symbols) }, [{ symbols: input.symbols }]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      state.lastError = `equity not read: ${failureMessage(err)}`;
      return;
    }
    state.sequence++;
    state.lastError = reading.unpriced.length > 0 ? `not priced (left out of equity): ${reading.unpriced.join(', ')}` : null;
    state.book = markEquity(state.book, { equity: reading.equity, at: reading.at });
    const { halt, change } = assessHalt(state.book, state.halt, input.limits);
    state.halt = halt;
    if (change?.type === 'HALTED') {
      journal('CONTROL', `HALTED (${change.halt.kind}): ${change.halt.reason}; equity ${reading.detail}`, `HALTED_${change.halt.kind}`);
      haltToAnnounce = { kind: change.halt.kind, reason: change.halt.reason, flatten: input.limits.flattenOnHalt };
    } else if (change?.type === 'LIFTED') {
      journal('CONTROL', `RESUMED: ${change.why}; the halt was: ${change.previous.reason}`, 'RESUMED');
    }
    publish();
  }

  /** every trader with an open trade or a grant learns of the halt: it cancels its PENDING entry */
  async function announceHalt(notice: HaltNotice): Promise<void> {
    haltToAnnounce = null;
    const symbols = [...new Set([...input.symbols, ...Object.values(state.grants).map((g) => g.symbol)])].sort();
    for (const symbol of symbols) {
      try {
        await getExternalWorkflowHandle(traderWorkflowId(symbol)).signal(portfolioHaltSignal, notice);
      } catch (err) {
        // a symbol whose trader is not running has no workflow to act; its grants are reconciled
        const held = Object.values(state.grants).filter((g) => g.symbol === symbol).map((g) => g.tradeId);
        if (held.length > 0) journal('CONTROL', `the trader of ${symbol} could not be told of the halt (${failureMessage(err)}); it holds ${held.join(', ')}`, 'HALT_NOT_DELIVERED');
      }
    }
  }

  async function reconcile(): Promise<void> {
    const symbols = [...new Set([...input.symbols, ...Object.values(state.grants).map((g) => g.symbol)])].sort();
    let reports;
    try {
      reports = await holdings.listTraderHoldings.executeWithOptions({ summary: holdingsSummary(symbols) }, [{ symbols }]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      state.lastError = `traders not reconciled: ${failureMessage(err)}`;
      return;
    }
    // the grants as they are NOW (an Update may have run while the activity was out)
    const changes = reconcileGrants(state.grants, reports, Date.now());
    for (const { grant, why } of changes.freed) {
      if (!state.grants[grant.tradeId] || state.grants[grant.tradeId]!.grantedAt !== grant.grantedAt) continue;
      delete state.grants[grant.tradeId];
      journal('RECONCILE', `slot of ${grant.tradeId} freed: ${why}`, 'SLOT_FREED');
    }
    for (const grant of changes.adopted) {
      if (state.grants[grant.tradeId]) continue;
      state.grants[grant.tradeId] = grant;
      journal('RECONCILE', `open trade ${grant.tradeId} of ${grant.symbol} had no slot: it holds one now (notional ${Math.round(grant.notional * 100) / 100})`, 'SLOT_ADOPTED');
    }
    publish();
  }

  function view(): PortfolioView {
    const exposure = exposureOf(state.grants);
    const equityNow = state.book?.lastEquity ?? null;
    return {
      ...state,
      grants: { ...state.grants },
      pendingRows: tradeLog.unwritten(),
      limits: input.limits,
      ...(input.llmBudget ? { llmBudget: input.llmBudget } : {}),
      figures: state.book ? riskFigures(state.book) : null,
      exposure: { ...exposure, totalPercent: equityNow ? percent(exposure.total, equityNow) : null },
    };
  }

  /** the Web UI: a search attribute to filter on, and the current details on the workflow's page */
  function publish(): void {
    state.status = state.halt ? 'HALTED' : 'ACTIVE';
    const status = state.halt ? `HALTED_${state.halt.kind}` : 'ACTIVE';
    if (status !== published) {
      upsertSearchAttributes([{ key: PortfolioStatusKey, value: status }]);
      published = status;
    }
    showDetails();
  }

  /** the workflow's current details (not a command: the LLM spend's Updates refresh them with no history of their own) */
  function showDetails(): void {
    setCurrentDetails(describeView(view(), Date.now()));
  }
}
