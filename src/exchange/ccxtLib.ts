import { createRequire } from 'node:module';
import type ccxtModule from 'ccxt';

/**
 * ccxt, loaded once for the whole process from its CommonJS build. Why not `import ccxt from
 * 'ccxt'`: its ESM entry is ~200 modules, and under tsx (npm start, the CLI, npm run backtest)
 * every one of them goes through tsx's loader hooks, which makes loading it 2-3x slower than
 * requiring the one CommonJS build (the largest part of a backtest's start-up). Everything in
 * src imports ccxt from here, so there is one copy: its error classes must be the same classes
 * for `instanceof` to hold. Types still come from 'ccxt' (`import type`).
 */
const ccxt = createRequire(import.meta.url)('ccxt') as typeof ccxtModule;

export default ccxt;
