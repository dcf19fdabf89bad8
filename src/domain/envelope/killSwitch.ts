import type { PortfolioLimits } from './limits';
import { percent, round2 } from './slots';
import { utcDay } from './utcDay';

/**
 * The kill switch: equity (balances marked to last prices, so realized plus unrealized) against
 * the UTC day's starting equity and against its peak. A breach HALTS the portfolio. A daily-loss
 * halt lifts at the next UTC day, never before; a drawdown halt only by an explicit resume.
 */

export type HaltKind = 'DAILY_LOSS' | 'DRAWDOWN';

export interface Halt {
  kind: HaltKind;
  /** one line a trader reads in the trade log, the CLI and the Web UI */
  reason: string;
  /** epoch ms of the reading that breached */
  since: number;
  /** UTC day of the breach (a DAILY_LOSS halt lifts when the day changes) */
  day: string;
}

export interface EquityBook {
  /** UTC day of `dayStartEquity` */
  day: string;
  /** the first equity reading of the UTC day */
  dayStartEquity: number;
  /** the highest equity seen (reset by a resume after a drawdown halt) */
  peakEquity: number;
  lastEquity: number;
  /** epoch ms of the last reading */
  lastAt: number;
}

export interface EquityReading {
  equity: number;
  at: number;
}

export interface RiskFigures {
  equity: number;
  dayPnl: number;
  dayPnlPercent: number;
  drawdownPercent: number;
}

/** the book after a reading: a new UTC day starts from this reading, the peak only rises */
export function markEquity(book: EquityBook | null, reading: EquityReading): EquityBook {
  // a clock that steps back (another exchange node, a replay restarted) must not restart the day
  const at = Math.max(reading.at, book?.lastAt ?? 0);
  const day = utcDay(at);
  if (!book || book.day !== day) {
    return { day, dayStartEquity: reading.equity, peakEquity: Math.max(book?.peakEquity ?? 0, reading.equity), lastEquity: reading.equity, lastAt: at };
  }
  return { ...book, peakEquity: Math.max(book.peakEquity, reading.equity), lastEquity: reading.equity, lastAt: at };
}

export function riskFigures(book: EquityBook): RiskFigures {
  const dayPnl = book.lastEquity - book.dayStartEquity;
  return {
    equity: book.lastEquity,
    dayPnl,
    dayPnlPercent: percent(dayPnl, book.dayStartEquity),
    drawdownPercent: percent(book.peakEquity - book.lastEquity, book.peakEquity),
  };
}

/** the breach this book shows, drawdown first (it needs a person to lift it), or null */
export function breachOf(book: EquityBook, limits: PortfolioLimits): Halt | null {
  const f = riskFigures(book);
  const at = { since: book.lastAt, day: book.day };
  if (f.drawdownPercent >= limits.maxDrawdownPercent) {
    return {
      kind: 'DRAWDOWN',
      reason: `drawdown ${round2(f.drawdownPercent)}% from peak equity ${round2(book.peakEquity)} (now ${round2(book.lastEquity)}) reached max_drawdown_percent ${limits.maxDrawdownPercent}; resume with \`cli resume\``,
      ...at,
    };
  }
  if (-f.dayPnlPercent >= limits.dailyLossLimitPercent) {
    return {
      kind: 'DAILY_LOSS',
      reason: `day loss ${round2(-f.dayPnlPercent)}% of the UTC day's starting equity ${round2(book.dayStartEquity)} (now ${round2(book.lastEquity)}) reached daily_loss_limit_percent ${limits.dailyLossLimitPercent}; trading resumes at the next UTC day`,
      ...at,
    };
  }
  return null;
}

export type HaltChange = { type: 'HALTED'; halt: Halt } | { type: 'LIFTED'; previous: Halt; why: string } | null;

/**
 * What a reading does to the halt: a breach halts (a drawdown breach also replaces a daily-loss
 * halt, which would otherwise lift by itself); a DAILY_LOSS halt lifts once the UTC day is another
 * one; a DRAWDOWN halt stays until resumed, whatever equity does.
 */
export function assessHalt(book: EquityBook, halt: Halt | null, limits: PortfolioLimits): { halt: Halt | null; change: HaltChange } {
  if (halt?.kind === 'DRAWDOWN') return { halt, change: null };
  if (halt?.kind === 'DAILY_LOSS' && halt.day === book.day) {
    const worse = breachOf(book, limits);
    return worse?.kind === 'DRAWDOWN' ? { halt: worse, change: { type: 'HALTED', halt: worse } } : { halt, change: null };
  }
  const breach = breachOf(book, limits);
  if (breach) return { halt: breach, change: { type: 'HALTED', halt: breach } };
  if (halt) return { halt: null, change: { type: 'LIFTED', previous: halt, why: `a new UTC day (${book.day}) started` } };
  return { halt: null, change: null };
}

/**
 * What `resume` may lift: only a DRAWDOWN halt (a daily-loss halt lifts at the next UTC day, by
 * itself). The peak restarts from the current equity, or the next reading would halt again.
 */
export function resumeProblem(halt: Halt | null): string | null {
  if (!halt) return 'the portfolio is not halted';
  if (halt.kind === 'DAILY_LOSS') return `the portfolio is halted by the daily loss limit (${halt.reason}); it resumes by itself at the next UTC day, not by hand`;
  return null;
}

export function resumedBook(book: EquityBook): EquityBook {
  return { ...book, peakEquity: book.lastEquity };
}
