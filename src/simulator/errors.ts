/**
 * An error answered the way Binance answers it: an HTTP status and a JSON body {code, msg}.
 * ccxt maps the code and message to its own error classes, so both must be Binance's exact ones.
 */
export class BinanceError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    readonly msg: string,
  ) {
    super(`${code} ${msg}`);
  }
}

export const insufficientBalance = () =>
  new BinanceError(400, -2010, 'Account has insufficient balance for requested action.');
export const duplicateOrder = () => new BinanceError(400, -2010, 'Duplicate order sent.');
export const orderDoesNotExist = () => new BinanceError(400, -2013, 'Order does not exist.');
export const unknownOrderSent = () => new BinanceError(400, -2011, 'Unknown order sent.');
export const wouldMatchAndTake = () => new BinanceError(400, -2010, 'Order would immediately match and take.');
export const stopWouldTrigger = () => new BinanceError(400, -2010, 'Stop price would trigger immediately.');
export const badPriceRelation = () =>
  new BinanceError(400, -2010, 'The relationship of the prices for the orders is not correct.');
export const mandatory = (name: string) =>
  new BinanceError(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
export const invalidSymbol = () => new BinanceError(400, -1121, 'Invalid symbol.');
