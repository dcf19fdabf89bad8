import type { TradingConfig } from '../config/schema';
import { credentialsFromEnv, tradingModeRefusal } from '../exchange/ccxtClient';

/** What `npm start` refuses before it starts anything, and what it must tell the trader about the strategist. */

export class StartRefused extends Error {
  override name = 'StartRefused';
}

/** Live trading needs the explicit setting AND keys; testnet needs (testnet) keys. */
export function refuseUnsafeMode(config: TradingConfig, env: NodeJS.ProcessEnv): void {
  const { mode, confirm_live_trading } = config.exchange;
  const refusal = tradingModeRefusal(mode, confirm_live_trading, credentialsFromEnv(env) !== undefined);
  if (refusal) throw new StartRefused(refusal);
}

/** Which strategist runs, in one line, and the warning a trader must see. */
export function strategistSummary(config: TradingConfig, env: NodeJS.ProcessEnv): { line: string; warning?: string } {
  const s = config.strategist;
  if (s.kind === 'rules') return { line: 'rules strategist (EMA trend following with ATR stops), as configured' };
  if (!env.OPENAI_API_KEY?.trim()) {
    return {
      line: 'rules strategist (EMA trend following with ATR stops)',
      warning: 'strategist.kind is llm but OPENAI_API_KEY is not set: the RULES strategist decides, not the LLM',
    };
  }
  return { line: `LLM strategist: model ${s.model} at ${s.base_url}` };
}
