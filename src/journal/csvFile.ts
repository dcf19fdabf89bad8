import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { parse, type CsvError, type Options as ParseOptions } from 'csv-parse';
import { TradeLogError } from './rows';

/** The trade log file's low-level reading: its CSV dialect, a scan of a byte range, fsync of a folder. */

export const PARSE_OPTIONS: ParseOptions = {
  bom: true,
  skip_empty_lines: true,
  relax_column_count: true,
  skip_records_with_error: true,
  // a file saved by a spreadsheet may use CRLF while ours use LF
  record_delimiter: ['\r\n', '\n'],
};

export interface ScanResult {
  /** offset just past the last record */
  end: number;
  /** offset where the last record (header included) begins */
  lastStart: number;
  header: string[] | null;
}

/**
 * Parses [start, size) of the file, calling onRecord for each data record (with the header, when
 * the range starts at the file's start). Records are whole only
 * when terminated by a newline, so the caller checks the last one. Any CSV error other than a
 * quote left open at the end (a torn row) means the file was damaged by hand in the middle:
 * refuse, naming the line, rather than guess.
 */
export async function scan(path: string, start: number, size: number, withHeader: boolean, onRecord: (r: string[], header: string[] | null) => void): Promise<ScanResult> {
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
          else onRecord(record, header);
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

export async function endsWithNewline(fh: FileHandle, end: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, end - 1);
  return b[0] === 0x0a;
}

export async function syncDir(dir: string): Promise<void> {
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

