import { createHash } from 'node:crypto';

/**
 * Deterministic client ids: every exchange order and order list of a trade is named from the trade
 * id and its leg, so a retried or replayed step asks for the same id and adopts what an earlier
 * attempt placed instead of placing it twice.
 *
 * Binance allows 36 characters of [.A-Z:/a-z0-9_-] (newClientOrderId, listClientOrderId and the
 * per-leg ids). The scheme is
 *
 *   de-<key>-<leg>
 *
 *   key   the trade id (T-BTCUSDT-000012), or `h` + 12 base-36 chars of its SHA-256 when the whole id
 *         would not fit (very long symbols); `tradeKey()` gives it, so ownership is checked by key.
 *   leg   e                entry order (LIMIT, or the working order of the OTOCO)
 *         L / Lt / Ls      OTOCO list / its take-profit leg / its stop leg (a plan placed as one OTOCO)
 *         s<g>.<k>         slice k's OTOCO list (a plan with several targets: one OTOCO per slice, slice
 *                          k sells at target k), placed in protection generation g (0 at first; an
 *                          ADJUST re-places the slices still waiting for their entry in a new one)
 *         s<g>.<k>e/t/s    that slice's working entry / take-profit leg / stop leg
 *         p<g>.<c>.<k>     OCO list: protection generation g (0 at first, +1 for every ADJUST or
 *                          restore), chunk c (one per fill that needed protection), target k
 *         p<g>.<c>.<k>t/s  that OCO's take-profit leg / stop leg
 *         x<g>.<c>         market order closing a quantity whose protection was refused
 *         f                market order flattening the whole position on a portfolio HALT
 *                          (flatten_on_halt): one per trade, so a retried flatten adopts it
 *
 * `de-` marks the system's own orders: reconciliation rebuilds the trade of ours that no open trade
 * owns from its key (or cancels an entry that never filled) and leaves every other order alone.
 */

export const CLIENT_ID_PREFIX = 'de-';
const MAX_LEN = 36;
const LONGEST_LEG = 'p999.999.9t'.length;

export function tradeKey(tradeId: string): string {
  const plain = tradeId.replace(/[^.A-Za-z0-9:/_-]/g, '_');
  if (CLIENT_ID_PREFIX.length + plain.length + 1 + LONGEST_LEG <= MAX_LEN && plain === tradeId) return plain;
  const digest = BigInt('0x' + createHash('sha256').update(tradeId).digest('hex').slice(0, 16)).toString(36);
  return 'h' + digest.padStart(13, '0').slice(0, 12);
}

const id = (tradeId: string, leg: string) => `${CLIENT_ID_PREFIX}${tradeKey(tradeId)}-${leg}`;

export const entryClientId = (tradeId: string) => id(tradeId, 'e');
export const otocoListClientId = (tradeId: string) => id(tradeId, 'L');
export const otocoTakeProfitClientId = (tradeId: string) => id(tradeId, 'Lt');
export const otocoStopClientId = (tradeId: string) => id(tradeId, 'Ls');

export const sliceListClientId = (tradeId: string, generation: number, slice: number) => id(tradeId, `s${generation}.${slice}`);
export const sliceEntryClientId = (listClientId: string) => `${listClientId}e`;

export function ocoListClientId(tradeId: string, generation: number, chunk: number, target: number): string {
  return id(tradeId, `p${generation}.${chunk}.${target}`);
}
export const takeProfitLegId = (listClientId: string) => `${listClientId}t`;
export const stopLegId = (listClientId: string) => `${listClientId}s`;
export const marketCloseClientId = (tradeId: string, generation: number, chunk: number) => id(tradeId, `x${generation}.${chunk}`);
export const flattenClientId = (tradeId: string) => id(tradeId, 'f');

export type ParsedLeg =
  | { kind: 'entry' }
  | { kind: 'otoco'; leg: 'list' | 'takeProfit' | 'stop' }
  | { kind: 'slice'; generation: number; slice: number; leg: 'list' | 'entry' | 'takeProfit' | 'stop' }
  | { kind: 'oco'; generation: number; chunk: number; target: number; leg: 'list' | 'takeProfit' | 'stop' }
  | { kind: 'close'; generation: number; chunk: number }
  | { kind: 'flatten' };

export interface ParsedClientId {
  key: string;
  leg: ParsedLeg;
}

/** null for ids that are not ours (or not in this scheme) */
export function parseClientId(clientId: string): ParsedClientId | null {
  if (!clientId.startsWith(CLIENT_ID_PREFIX)) return null;
  const rest = clientId.slice(CLIENT_ID_PREFIX.length);
  const cut = rest.lastIndexOf('-');
  if (cut <= 0) return null;
  const key = rest.slice(0, cut);
  const leg = rest.slice(cut + 1);
  if (leg === 'e') return { key, leg: { kind: 'entry' } };
  if (leg === 'f') return { key, leg: { kind: 'flatten' } };
  if (leg === 'L') return { key, leg: { kind: 'otoco', leg: 'list' } };
  if (leg === 'Lt') return { key, leg: { kind: 'otoco', leg: 'takeProfit' } };
  if (leg === 'Ls') return { key, leg: { kind: 'otoco', leg: 'stop' } };
  let m = /^p(\d+)\.(\d+)\.(\d+)([ts]?)$/.exec(leg);
  if (m) {
    return {
      key,
      leg: {
        kind: 'oco',
        generation: Number(m[1]),
        chunk: Number(m[2]),
        target: Number(m[3]),
        leg: m[4] === 't' ? 'takeProfit' : m[4] === 's' ? 'stop' : 'list',
      },
    };
  }
  m = /^s(\d+)\.(\d+)([ets]?)$/.exec(leg);
  if (m) {
    const part = m[3] === 'e' ? 'entry' : m[3] === 't' ? 'takeProfit' : m[3] === 's' ? 'stop' : 'list';
    return { key, leg: { kind: 'slice', generation: Number(m[1]), slice: Number(m[2]), leg: part } };
  }
  m = /^x(\d+)\.(\d+)$/.exec(leg);
  if (m) return { key, leg: { kind: 'close', generation: Number(m[1]), chunk: Number(m[2]) } };
  return null;
}

/** the list id a protective leg belongs to (OCO, OTOCO and slice take-profit/stop legs), else null */
export function listIdOfLeg(clientId: string): string | null {
  const p = parseClientId(clientId);
  if (!p) return null;
  if (p.leg.kind === 'otoco' && p.leg.leg !== 'list') return clientId.slice(0, -1);
  if (p.leg.kind === 'oco' && p.leg.leg !== 'list') return clientId.slice(0, -1);
  if (p.leg.kind === 'slice' && (p.leg.leg === 'takeProfit' || p.leg.leg === 'stop')) return clientId.slice(0, -1);
  return null;
}

/** an entry order's OTOCO list: `L` for the plain entry `e` (when it was placed as an OTOCO), the slice's list for a slice entry */
export function listIdOfEntry(clientId: string): string | null {
  const p = parseClientId(clientId);
  if (!p) return null;
  if (p.leg.kind === 'entry') return otocoListClientId(p.key);
  if (p.leg.kind === 'slice' && p.leg.leg === 'entry') return clientId.slice(0, -1);
  return null;
}

/** an entry order of a trade: the plain entry `e` or a slice's working entry */
export function isEntryClientId(clientId: string): boolean {
  const p = parseClientId(clientId);
  return !!p && (p.leg.kind === 'entry' || (p.leg.kind === 'slice' && p.leg.leg === 'entry'));
}

/** which take-profit a protective leg or list sells at (the slice index for slices) */
export function targetOfClientId(clientId: string): number {
  const p = parseClientId(clientId);
  if (p?.leg.kind === 'oco') return p.leg.target;
  if (p?.leg.kind === 'slice') return p.leg.slice;
  return 0;
}

export function belongsTo(clientId: string, tradeId: string): boolean {
  return parseClientId(clientId)?.key === tradeKey(tradeId);
}
