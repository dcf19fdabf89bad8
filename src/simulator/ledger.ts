import { insufficientBalance } from './errors';
import { round8 } from './markets';
import { isOpen } from './orderRules';
import type { SimBalance, SimLock, SimOrder, SimState } from './types';

/**
 * Balances and the funds open orders reserve. A lock is shared by the legs of an OCO, so it is
 * given back only when no open order draws on it any more.
 */
export class Ledger {
  constructor(private readonly state: SimState) {}

  balance(account: string, asset: string): SimBalance {
    const acct = this.state.accounts[account]!;
    return (acct.balances[asset] ??= { free: 0, locked: 0 });
  }

  /** Refuses, as Binance does, an order the free balance cannot back. */
  ensureFree(account: string, asset: string, amount: number): void {
    if (this.balance(account, asset).free + 1e-9 < amount) throw insufficientBalance();
  }

  lock(account: string, asset: string, perUnit: number, qty: number): SimLock {
    const amount = round8(perUnit * qty);
    this.ensureFree(account, asset, amount);
    const b = this.balance(account, asset);
    b.free = round8(b.free - amount);
    b.locked = round8(b.locked + amount);
    const lock: SimLock = { id: this.state.nextLockId++, account, asset, perUnit, remainingQty: qty };
    this.state.locks.push(lock);
    return lock;
  }

  private lockOf(order: SimOrder): SimLock | undefined {
    return order.lockId === null ? undefined : this.state.locks.find((l) => l.id === order.lockId);
  }

  /** Frees what `qty` of a filled order had reserved, so the fill pays from free funds. */
  unlockFilled(order: SimOrder, qty: number): void {
    const lock = this.lockOf(order);
    if (!lock) return;
    const release = round8(lock.perUnit * qty);
    this.unlock(order.account, lock.asset, release);
    lock.remainingQty = round8(lock.remainingQty - qty);
  }

  /** Gives back what an order's lock still holds once no open order draws on it. */
  releaseIfDone(order: SimOrder): void {
    const lock = this.lockOf(order);
    if (!lock) return;
    const stillUsed = this.state.orders.some((o) => o.lockId === lock.id && isOpen(o));
    if (stillUsed) return;
    this.unlock(lock.account, lock.asset, round8(lock.perUnit * lock.remainingQty));
    this.state.locks = this.state.locks.filter((l) => l.id !== lock.id);
  }

  private unlock(account: string, asset: string, amount: number): void {
    const b = this.balance(account, asset);
    b.locked = round8(Math.max(0, b.locked - amount));
    b.free = round8(b.free + amount);
  }
}
