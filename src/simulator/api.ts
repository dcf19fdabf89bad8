import { accountRoutes } from './accountRoutes';
import { marketDataRoutes } from './marketDataRoutes';
import { orderListRoutes } from './orderListRoutes';
import type { Route } from './route';

export { klines } from './klines';
export type { ApiContext, Call, Route } from './route';

/** Every endpoint the simulator answers, by "METHOD /path". */
export const routes: Record<string, Route> = { ...marketDataRoutes, ...accountRoutes, ...orderListRoutes };
