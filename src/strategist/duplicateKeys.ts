import { parse, type ElementNode, type ValueNode } from '@humanwhocodes/momoa';

/**
 * The first key that appears twice in one JSON object (at any depth), as a path such as
 * "trade_setup.entry_price", or null. JSON.parse keeps the last value of a repeated key without a
 * word; for a trading command that is an ambiguity (which entry did the model mean?), never a choice
 * to make for it. momoa (a maintained JSON AST parser) gives every member, repeated ones included.
 * The text must already be valid JSON (it is called after JSON.parse accepted it).
 */
export function firstDuplicateKey(json: string): string | null {
  return duplicateIn(parse(json).body, '');
}

function duplicateIn(node: ValueNode, path: string): string | null {
  if (node.type === 'Object') {
    const seen = new Set<string>();
    for (const member of node.members) {
      const key = member.name.type === 'String' ? member.name.value : member.name.name;
      const here = path ? `${path}.${key}` : key;
      if (seen.has(key)) return here;
      seen.add(key);
      const inner = duplicateIn(member.value, here);
      if (inner) return inner;
    }
  } else if (node.type === 'Array') {
    for (const [i, element] of (node.elements as ElementNode[]).entries()) {
      const inner = duplicateIn(element.value, `${path}[${i}]`);
      if (inner) return inner;
    }
  }
  return null;
}
