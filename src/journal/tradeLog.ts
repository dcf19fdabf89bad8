import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { canonicalSymbol } from '../domain/symbols';
import { endsWithNewline, scan, syncDir } from './csvFile';
import { upgradeOldHeader, type HeaderUpgrade } from './headerUpgrade';
import {
  recordReader,
  TRADE_LOG_COLUMNS,
  TradeLogError,
  toCsvFields,
  validateEntry,
  type TradeLogRow,
  type TradeLogRecord,
} from './rows';

export { TradeLogError, TRADE_LOG_COLUMNS, TRADE_LOG_KINDS } from './rows';
export type { TradeLogRow, TradeLogRecord, TradeLogKind, TradeLogColumn } from './rows';

/**
 * data/trade_log.csv: the human-readable journal (Temporal holds the authoritative state).
 *
 * Append only and idempotent: every row carries a deterministic row id, and a batch whose ids are
 * already in the file writes nothing again, so a retried activity never writes a row twice. A retry
 * carries the very same row (workflow inputs are replayed exactly); a row that reuses an id with
 * different content is a different row (e.g. a symbol workflow started again from scratch counts its
 * ids from the start) and is written under `<id>~2`, `<id>~3`..., never dropped.
 * Appends are serialized per file within the process (several symbol activities run at once),
 * fsynced before they are reported written, and a row torn by a crash is detected on the next
 * append, moved to `<file>.torn` and cut from the log so that the retry writes it whole.
 * A log an earlier version wrote (an older header) is upgraded in place before the first append
 * (headerUpgrade.ts); readers read any header the log ever had.
 */

export interface AppendResult {
  /** rows written by this call */
  written: number;
  /** rows already in the file (same id, same content), or repeated within the batch */
  skipped: number;
  /** rows written under a suffixed id because their id was taken by a different row */
  renamed: number;
  /** bytes of a torn last row cut from the file (and kept in <file>.torn) before appending */
  repairedBytes: number;
}

export interface TradeLog {
  readonly path: string;
  append(entries: readonly TradeLogRow[]): Promise<AppendResult>;
  /** whether a row with this id is in the file */
  has(rowId: string): Promise<boolean>;
}

export interface TradeLogOptions {
  /** strings that must never reach the file (API keys); masked wherever they appear */
  secrets?: readonly string[];
  /** told when a log of an earlier version was upgraded in place (default: a console warning) */
  onUpgrade?: (path: string, upgrade: HeaderUpgrade) => void;
}

export function describeUpgrade(path: string, u: HeaderUpgrade): string {
  return (
    `trade log ${path}: written by an earlier version; upgraded in place to the new columns (added ${u.added.join(', ')}), ` +
    `${u.rows} rows kept${u.tornBytes > 0 ? `, a torn last row moved to ${path}.torn` : ''}; the file as it was is kept at ${u.keptAt}`
  );
}

const HEADER = stringify([TRADE_LOG_COLUMNS as unknown as string[]]);
const ROW_ID = TRADE_LOG_COLUMNS.indexOf('row_id');

class TradeLogFile implements TradeLog {
  /** row id -> digest of the row's content, for every whole row in the file */
  private readonly ids = new Map<string, string>();
  /** bytes of the file already indexed; always at a record boundary; -1 before the first look */
  private indexed = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly secrets = new Set<string>();
  onUpgrade: (path: string, upgrade: HeaderUpgrade) => void = (path, u) => console.warn(`WARNING: ${describeUpgrade(path, u)}`);

  constructor(readonly path: string) {}

  addSecrets(secrets: readonly string[]): void {
    for (const s of secrets) if (s) this.secrets.add(s);
  }

  async append(entries: readonly TradeLogRow[]): Promise<AppendResult> {
    entries.forEach((e, i) => validateEntry(e, `${this.path}: row ${i}`));
    return this.serialize(() => this.appendNow(entries));
  }

  has(rowId: string): Promise<boolean> {
    return this.serialize(async () => {
      const fh = await this.openFile();
      try {
        await this.catchUp(fh);
        return this.ids.has(rowId);
      } finally {
        await fh.close();
      }
    });
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async openFile(): Promise<FileHandle> {
    await mkdir(dirname(this.path), { recursive: true });
    // on the first look (and after a failure), before the file is opened: the rename of an upgrade
    // must not leave an open handle on the old file
    if (this.indexed < 0) {
      const upgrade = await upgradeOldHeader(this.path);
      if (upgrade) this.onUpgrade(this.path, upgrade);
    }
    const existed = await stat(this.path).then(
      () => true,
      () => false,
    );
    const fh = await open(this.path, 'a+');
    if (!existed) await syncDir(dirname(this.path));
    return fh;
  }

  private async appendNow(entries: readonly TradeLogRow[]): Promise<AppendResult> {
    const fh = await this.openFile();
    try {
      const repairedBytes = await this.catchUp(fh);
      const secrets = [...this.secrets];
      const added = new Map<string, string>();
      const rows: string[][] = [];
      let renamed = 0;
      for (const e of entries) {
        const fields = toCsvFields(e, secrets);
        const digest = contentDigest(fields);
        let id: string | null = e.id;
        for (let n = 2; id !== null; n++) {
          const known: string | undefined = this.ids.get(id) ?? added.get(id);
          if (known === undefined) break;
          id = known === digest ? null : `${e.id}~${n}`;
        }
        if (id === null) continue;
        if (id !== e.id) renamed++;
        fields[ROW_ID] = id;
        added.set(id, digest);
        rows.push(fields);
      }
      const result = { written: rows.length, skipped: entries.length - rows.length, renamed, repairedBytes };
      if (rows.length === 0) return result;
      const text = (this.indexed === 0 ? HEADER : '') + stringify(rows);
      await fh.appendFile(text, 'utf8');
      await fh.sync();
      this.indexed += Buffer.byteLength(text, 'utf8');
      for (const [id, digest] of added) this.ids.set(id, digest);
      return result;
    } catch (err) {
      // a failed write may have left a partial row: look at the file afresh next time
      this.indexed = -1;
      throw err;
    } finally {
      await fh.close();
    }
  }

  /**
   * Brings the id index up to the file's current end (built once, then only what another writer
   * added is read) and repairs a torn last row. Returns the bytes cut.
   */
  private async catchUp(fh: FileHandle): Promise<number> {
    const { size } = await fh.stat();
    if (size === this.indexed) return 0;
    const fromStart = this.indexed < 0 || size < this.indexed;
    if (fromStart) {
      this.ids.clear();
      this.indexed = 0;
    }
    const start = this.indexed;
    // the last record's id is held back until we know its row is whole (ends in a newline)
    let pending: string[] | null = null;
    const { end, lastStart, header } = await scan(this.path, start, size, fromStart, (record) => {
      if (pending !== null) this.ids.set(pending[ROW_ID]!, contentDigest(pending));
      pending = record.length === TRADE_LOG_COLUMNS.length ? record : null;
    });
    let whole = end;
    if (end > start && !(await endsWithNewline(fh, end))) whole = lastStart;
    else if (pending !== null) this.ids.set((pending as string[])[ROW_ID]!, contentDigest(pending));
    if (fromStart && header && whole > 0 && header.join(',') !== TRADE_LOG_COLUMNS.join(',')) {
      this.indexed = -1;
      throw new TradeLogError(
        `${this.path}: its header (${header.join(',')}) is not the trade log's (${TRADE_LOG_COLUMNS.join(',')}); move the file aside`,
      );
    }
    let repaired = 0;
    if (whole < size) {
      const tail = Buffer.alloc(size - whole);
      await fh.read(tail, 0, tail.length, whole);
      if (tail.toString('utf8').trim() !== '') {
        await appendFile(`${this.path}.torn`, Buffer.concat([tail, Buffer.from('\n')]), { flush: true });
      }
      await fh.truncate(whole);
      await fh.sync();
      repaired = tail.length;
    }
    this.indexed = whole;
    return repaired;
  }
}

/** what a row says, apart from its id: equal for a retry of the same row */
function contentDigest(fields: readonly string[]): string {
  return createHash('sha256').update(fields.filter((_, i) => i !== ROW_ID).join('\u0000')).digest('base64url').slice(0, 22);
}

const openLogs = new Map<string, TradeLogFile>();

/** The process-wide writer for a log file: every caller shares one queue and one id index. */
export function openTradeLog(path: string, options: TradeLogOptions = {}): TradeLog {
  const full = resolve(path);
  let log = openLogs.get(full);
  if (!log) {
    log = new TradeLogFile(full);
    openLogs.set(full, log);
  }
  log.addSecrets(options.secrets ?? []);
  if (options.onUpgrade) log.onUpgrade = options.onUpgrade;
  return log;
}

export interface ReadTradeLogOptions {
  /** BTCUSDT or BTC/USDT */
  symbol?: string;
  tradeId?: string;
  /** only the most recent rows (memory stays bounded however large the log has grown) */
  limit?: number;
}

/** Rows of the log, oldest first, optionally for one symbol or trade. A missing file is an empty log. */
export async function readTradeLog(path: string, options: ReadTradeLogOptions = {}): Promise<TradeLogRecord[]> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TradeLogError(`${path}: cannot read the trade log (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const rows: TradeLogRecord[] = [];
  const symbol = options.symbol === undefined ? undefined : canonicalSymbol(options.symbol);
  const limit = options.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new TradeLogError(`limit must be a whole number >= 0, got ${limit}`);
  let last: TradeLogRecord | null = null;
  // rows are read by the file's header: a log of an earlier version reads as well (a column it lacks is empty)
  let reader: ReturnType<typeof recordReader> | undefined;
  let foreign: string[] | undefined;
  const { end } = await scan(path, 0, size, true, (record, header) => {
    last = null;
    if (reader === undefined) reader = recordReader(header ?? []);
    if (!reader) {
      foreign ??= header ?? [];
      return;
    }
    const row = reader(record);
    if (!row) return;
    if (symbol && row.symbol !== symbol) return;
    if (options.tradeId && row.trade_id !== options.tradeId) return;
    rows.push(row);
    last = row;
    // one row more than asked is kept: the last may turn out torn
    if (limit !== undefined && rows.length >= 2 * limit + 2) rows.splice(0, rows.length - (limit + 1));
  });
  if (foreign) throw new TradeLogError(`${path}: its header (${foreign.join(',')}) is not the trade log's (${TRADE_LOG_COLUMNS.join(',')})`);
  // a last row without its newline is torn (a writer crashed mid-row): not part of the log
  if (last && end === size) {
    const fh = await open(path, 'r');
    try {
      if (!(await endsWithNewline(fh, end))) rows.pop();
    } finally {
      await fh.close();
    }
  }
  return limit === undefined ? rows : rows.slice(rows.length - Math.min(limit, rows.length));
}
