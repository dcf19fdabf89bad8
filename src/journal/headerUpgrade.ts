import { createReadStream } from 'node:fs';
import { appendFile, constants, copyFile, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, type CsvError } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { PARSE_OPTIONS, syncDir } from './csvFile';
import { isOlderHeader, recordReader, TRADE_LOG_COLUMNS, TradeLogError } from './rows';

/**
 * A trade log written by an earlier version (one of OLDER_TRADE_LOG_HEADERS) is upgraded in place
 * before its first append, so that a trader's history stays one file under one header:
 *
 * 1. the file as it is is copied aside first (`<file>.<time>.before-upgrade`, fsynced);
 * 2. every whole row is rewritten under today's header into a temporary file beside it (a column
 *    the old header lacked is empty), fsynced;
 * 3. that file replaces the log by rename, which is atomic: a crash at any point leaves the old log
 *    or the new one, each whole, and the copy.
 *
 * A torn last row (the old version crashed mid-row) goes to `<file>.torn` as on any append. A row
 * with another number of fields than its header was damaged by hand: the upgrade is refused, naming
 * the line, and nothing is changed. The journal has one writer (the journal worker, see
 * deploy/README.md), and this runs inside its queue, so nothing appends meanwhile.
 */

export interface HeaderUpgrade {
  rows: number;
  /** the copy of the file as it was */
  keptAt: string;
  /** columns the rows gained (empty in every old row) */
  added: string[];
  /** bytes of a torn last row moved to `<file>.torn` */
  tornBytes: number;
}

const BATCH = 500;

/** the log's header when its first line is complete; null for an empty file or a torn first line */
async function completeHeader(fh: FileHandle): Promise<string[] | null> {
  const buf = Buffer.alloc(16_384);
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  const text = buf.toString('utf8', 0, bytesRead);
  const eol = text.indexOf('\n');
  if (eol < 0) return null;
  return text.slice(0, eol).replace(/^\uFEFF/, '').replace(/\r$/, '').split(',');
}

/** Upgrades the log at `path` when an earlier version wrote it; null when there is nothing to upgrade. */
export async function upgradeOldHeader(path: string, now = Date.now()): Promise<HeaderUpgrade | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let header: string[] | null;
  let size: number;
  try {
    header = await completeHeader(fh);
    size = (await fh.stat()).size;
  } finally {
    await fh.close();
  }
  if (!header || !isOlderHeader(header)) return null;

  const keptAt = `${path}.${new Date(now).toISOString().replace(/[:.]/g, '-')}.before-upgrade`;
  const tmp = `${path}.upgrade-${process.pid}.tmp`;
  await copyFile(path, keptAt, constants.COPYFILE_EXCL);
  await fsyncFile(keptAt);
  const out = await open(tmp, 'w');
  try {
    const written = await rewrite(path, size, header, out);
    await out.sync();
    await out.close();
    if (written.tornBytes > 0) await appendFile(`${path}.torn`, Buffer.concat([written.tail, Buffer.from('\n')]), { flush: true });
    await rename(tmp, path);
    await syncDir(dirname(path));
    return { rows: written.rows, keptAt, added: TRADE_LOG_COLUMNS.filter((c) => !header.includes(c)), tornBytes: written.tornBytes };
  } catch (err) {
    await out.close().catch(() => undefined);
    await rm(tmp, { force: true });
    // nothing was changed: the copy would only confuse
    await rm(keptAt, { force: true });
    throw err;
  }
}

/** every whole data row of the old file, under today's header, into `out` */
async function rewrite(path: string, size: number, header: string[], out: FileHandle): Promise<{ rows: number; tornBytes: number; tail: Buffer }> {
  const toRecord = recordReader(header)!;
  await out.write(stringify([TRADE_LOG_COLUMNS as unknown as string[]]));
  let damage: CsvError | undefined;
  const parser = createReadStream(path, { start: 0, end: size - 1 }).pipe(
    parse({
      ...PARSE_OPTIONS,
      info: true,
      on_skip: (err) => {
        if (err && err.code !== 'CSV_QUOTE_NOT_CLOSED' && !damage) damage = err;
      },
    }),
  );
  // the last record is held back until it is known to be whole (it ends in a newline)
  let held: { fields: string[]; line: number } | null = null;
  let heldStart = 0;
  let end = 0;
  let rows = 0;
  let batch: string[][] = [];
  const take = async (fields: string[], line: number) => {
    const record = toRecord(fields);
    if (!record) {
      throw new TradeLogError(`${path}: line ${line} has ${fields.length} fields, its header ${header.length}; fix it or move the file aside (the upgrade to the new columns changed nothing)`);
    }
    batch.push(TRADE_LOG_COLUMNS.map((c) => record[c]));
    rows++;
    if (batch.length >= BATCH) {
      await out.write(stringify(batch));
      batch = [];
    }
  };
  let first = true;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number; lines: number } }>) {
    if (first) {
      first = false;
      end = info.bytes;
      continue;
    }
    if (held) await take(held.fields, held.line);
    held = { fields: record, line: info.lines };
    heldStart = end;
    end = info.bytes;
  }
  if (damage) {
    const line = (damage as CsvError & { lines?: number }).lines;
    throw new TradeLogError(`${path}: line ${line ?? '?'} is not valid CSV (${damage.message}); fix it or move the file aside`);
  }
  let whole = end;
  if (held) {
    const fh = await open(path, 'r');
    let lastByte: number | undefined;
    try {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, end - 1);
      lastByte = b[0];
    } finally {
      await fh.close();
    }
    if (lastByte === 0x0a) await take(held.fields, held.line);
    else whole = heldStart;
  }
  if (batch.length > 0) await out.write(stringify(batch));
  const tail = Buffer.alloc(size - whole);
  if (tail.length > 0) {
    const fh = await open(path, 'r');
    try {
      await fh.read(tail, 0, tail.length, whole);
    } finally {
      await fh.close();
    }
  }
  return { rows, tornBytes: tail.toString('utf8').trim() === '' ? 0 : tail.length, tail };
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
