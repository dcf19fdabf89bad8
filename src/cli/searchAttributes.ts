import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
// Not re-exported by the package index; the SDK is pinned, so the deep path is stable.
import { encodeSearchAttributeIndexedValueType, type SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

/**
 * Registering the search attributes the workflows upsert (src/contract/searchAttributes.ts) on a
 * namespace: `start` does it on any server, the dev stack on the one it starts, tests on theirs.
 */

export type SearchAttributeDefs = ReadonlyArray<SearchAttributeKey<SearchAttributeType>>;

export class SearchAttributeError extends Error {
  override name = 'SearchAttributeError';
}

/**
 * Registers custom search attributes; idempotent: existing ones with the same type are left alone,
 * one with a different type is an error that names it.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: SearchAttributeDefs,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known: Record<string, number> = { ...existing.systemAttributes, ...existing.customAttributes } as Record<
    string,
    number
  >;
  const missing: Record<string, number> = {};
  for (const key of keys) {
    const wanted = encodeSearchAttributeIndexedValueType(key.type)!;
    const have = known[key.name];
    if (have === undefined) missing[key.name] = wanted;
    else if (have !== wanted) {
      throw new SearchAttributeError(
        `search attribute ${key.name} already exists on namespace ${namespace} with another type (wanted ${key.type})`,
      );
    }
  }
  const names = Object.keys(missing);
  if (names.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    } catch (err) {
      // Another process may have registered them between our list and add.
      if (!/already exists/i.test((err as Error).message)) throw err;
    }
  }
  return names;
}
