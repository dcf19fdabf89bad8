import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse, type CsvError, type Options as ParseOptions } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { canonicalSymbol } from '../domain/symbols';
import {
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
}

const HEADER = stringify([TRADE_LOG_COLUMNS as unknown as string[]]);
const ROW_ID = TRADE_LOG_COLUMNS.indexOf('row_id');
const PARSE_OPTIONS: ParseOptions = {
  bom: true,
  skip_empty_lines: true,
  relax_column_count: true,
  skip_records_with_error: true,
  // a file saved by a spreadsheet may use CRLF while ours use LF
  record_delimiter: ['\r\n', '\n'],
};

interface ScanResult {
  /** offset just past the last record */
  end: number;
  /** offset where the last record (header included) begins */
  lastStart: number;
  header: string[] | null;
}

/**
 * Parses [start, size) of the file, calling onRecord for each data record. Records are whole only
 * when terminated by a newline, so the caller checks the last one. Any CSV error other than a
 * quote left open at the end (a torn row) means the file was damaged by hand in the middle:
 * refuse, naming the line, rather than guess.
 */
async function scan(path: string, start: number, size: number, withHeader: boolean, onRecord: (r: string[]) => void): Promise<ScanResult> {
  let end = start;
  let lastStart = start;
  let header: string[] | null = null;
  let damage: CsvError | undefined;
  if (size > start) {
    const parser = createReadStream(path, { start, end: size - 1 }).pipe(
      parse({
        ...PARSE_OPTIONS,
        on_skip: (err) => {
          if (err && err.code !== 'CSV_QUOTE_NOT_CLOSED' && !damage) damage = err;
        },
        on_record: (record: string[], ctx) => {
          lastStart = end;
          end = start + ctx.bytes;
          if (withHeader && header === null) header = record;
          else onRecord(record);
          return null;
        },
      }),
    );
    for await (const _ of parser);
  }
  if (damage) {
    const line = (damage as CsvError & { lines?: number }).lines;
    throw new TradeLogError(`${path}: line ${line ?? '?'} is not valid CSV (${damage.message}); fix it or move the file aside`);
  }
  return { end, lastStart, header };
}

class TradeLogFile implements TradeLog {
  /** row id -> digest of the row's content, for every whole row in the file */
  private readonly ids = new Map<string, string>();
  /** bytes of the file already indexed; always at a record boundary; -1 before the first look */
  private indexed = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly secrets = new Set<string>();

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

async function endsWithNewline(fh: FileHandle, end: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, end - 1);
  return b[0] === 0x0a;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // some filesystems cannot fsync a directory; the file's own fsync still holds its rows
  }
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
  const { end } = await scan(path, 0, size, true, (record) => {
    last = null;
    if (record.length !== TRADE_LOG_COLUMNS.length) return;
    const row = Object.fromEntries(TRADE_LOG_COLUMNS.map((c, i) => [c, record[i]!])) as TradeLogRecord;
    if (symbol && row.symbol !== symbol) return;
    if (options.tradeId && row.trade_id !== options.tradeId) return;
    rows.push(row);
    last = row;
    // one row more than asked is kept: the last may turn out torn
    if (limit !== undefined && rows.length >= 2 * limit + 2) rows.splice(0, rows.length - (limit + 1));
  });
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
