import type { FaultSpec } from './types';

/** Armed faults; each fires for the first `times` matching requests, then disarms. */
export class FaultBook {
  private armed: { spec: FaultSpec; remaining: number }[] = [];

  add(spec: FaultSpec): void {
    this.armed.push({ spec, remaining: spec.times ?? 1 });
  }
  clear(): void {
    this.armed = [];
  }
  take(method: string, path: string): FaultSpec | undefined {
    const hit = this.armed.find(
      (f) => f.remaining > 0 && f.spec.path === path && (!f.spec.method || f.spec.method.toUpperCase() === method),
    );
    if (!hit) return undefined;
    hit.remaining--;
    if (hit.remaining === 0) this.armed = this.armed.filter((f) => f !== hit);
    return hit.spec;
  }
}

/** Bodies Binance (or its front) answers with for each status. */
export function faultBody(status: number): string {
  if (status === 429) {
    return JSON.stringify({ code: -1003, msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid bans.' });
  }
  if (status === 418) {
    return JSON.stringify({ code: -1003, msg: `Way too much request weight used; IP banned until ${Date.now() + 120_000}. Please use WebSocket Streams for live updates to avoid bans.` });
  }
  if (status === 500) return JSON.stringify({ code: -1001, msg: 'Internal error; unable to process your request. Please try again.' });
  return `<html><body><h1>${status} Service Unavailable</h1></body></html>`;
}
