import { z } from 'zod';

/**
 * The strategist's whole vocabulary. This one schema is the runtime validator of the LLM's answer,
 * the TypeScript type the OMS is written against, and (through openai's zod helper) the JSON schema
 * sent to the LLM as a structured output. Field names are exactly the seed's (snake_case).
 *
 * Structural checks only: whether a command makes sense for the current trade and market is
 * decided by validateCommand (validation.ts), which gives a trader-readable reason.
 */

export const Direction = z.enum(['LONG', 'SHORT']);
export type Direction = z.infer<typeof Direction>;

const price = z.number().finite().positive();

export const TradeSetup = z.object({
  symbol: z.string().min(1),
  direction: Direction,
  entry_price: price,
  stop_loss_price: price,
  take_profit_prices: z.array(price).min(1).max(5),
  /** percent of account equity committed to this trade; range is checked against the risk limits */
  position_size_percent: z.number().finite(),
});
export type TradeSetup = z.infer<typeof TradeSetup>;

export const PlanTrade = z.object({
  action: z.literal('PLAN_TRADE'),
  trade_setup: TradeSetup,
  reasoning: z.string().nullish(),
});

export const CancelOrder = z.object({
  action: z.literal('CANCEL_ORDER'),
  order_id: z.string().min(1),
  reasoning: z.string(),
});

export const AdjustTrade = z.object({
  action: z.literal('ADJUST_TRADE'),
  order_id: z.string().min(1),
  new_stop_loss_price: price,
  new_take_profit_prices: z.array(price).min(1).max(5).nullish(),
  reasoning: z.string(),
});

export const DoNothing = z.object({
  action: z.literal('DO_NOTHING'),
  reasoning: z.string(),
});

export const AiCommand = z.discriminatedUnion('action', [PlanTrade, CancelOrder, AdjustTrade, DoNothing]);
export type AiCommand = z.infer<typeof AiCommand>;
export type PlanTradeCommand = z.infer<typeof PlanTrade>;
export type CancelOrderCommand = z.infer<typeof CancelOrder>;
export type AdjustTradeCommand = z.infer<typeof AdjustTrade>;
export type DoNothingCommand = z.infer<typeof DoNothing>;
export type CommandAction = AiCommand['action'];
export const COMMAND_ACTIONS: readonly CommandAction[] = ['PLAN_TRADE', 'CANCEL_ORDER', 'ADJUST_TRADE', 'DO_NOTHING'];

export function doNothing(reasoning: string): DoNothingCommand {
  return { action: 'DO_NOTHING', reasoning };
}
