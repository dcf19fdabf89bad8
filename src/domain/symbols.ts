/**
 * Symbols are written two ways by traders and tools: BTCUSDT (Binance, the prompt, workflow ids)
 * and BTC/USDT (ccxt's unified form). The system's canonical form is the compact one.
 */
const KNOWN_QUOTES = ['USDT', 'USDC', 'FDUSD', 'BUSD', 'TUSD', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY', 'BRL'];

export interface SymbolParts {
  base: string;
  quote: string;
}

export function splitSymbol(input: string): SymbolParts {
  const s = input.trim().toUpperCase();
  if (s.includes('/')) {
    const [base, quote, ...rest] = s.split('/');
    if (!base || !quote || rest.length > 0 || !/^[A-Z0-9]+$/.test(base) || !/^[A-Z0-9]+$/.test(quote)) {
      throw new Error(`invalid symbol "${input}": expected BASE/QUOTE like BTC/USDT or BTCUSDT`);
    }
    return { base, quote };
  }
  if (!/^[A-Z0-9]{5,20}$/.test(s)) {
    throw new Error(`invalid symbol "${input}": expected BASE/QUOTE like BTC/USDT or BTCUSDT`);
  }
  const quote = KNOWN_QUOTES.find((q) => s.endsWith(q) && s.length > q.length);
  if (!quote) {
    throw new Error(`invalid symbol "${input}": unknown quote currency (write it as BASE/QUOTE)`);
  }
  return { base: s.slice(0, s.length - quote.length), quote };
}

/** BTC/USDT, btcusdt, BTCUSDT -> BTCUSDT */
export function canonicalSymbol(input: string): string {
  const { base, quote } = splitSymbol(input);
  return base + quote;
}

/** BTCUSDT -> BTC/USDT (ccxt's unified spot symbol) */
export function unifiedSymbol(input: string): string {
  const { base, quote } = splitSymbol(input);
  return `${base}/${quote}`;
}
