import { createHmac, timingSafeEqual } from 'node:crypto';
import { BinanceError, mandatory } from './errors';
import type { SimAccount } from './types';

/**
 * Binance's SIGNED endpoint check: X-MBX-APIKEY names the account, HMAC-SHA256 over
 * totalParams (query string then body, without the signature itself) keyed by the secret, and
 * timestamp within recvWindow of the server's wall clock (not the market clock: clients sign with
 * their real time).
 */
export function authenticate(
  apiKeyHeader: string | undefined,
  rawQuery: string,
  rawBody: string,
  params: URLSearchParams,
  findAccount: (apiKey: string) => SimAccount | undefined,
  wallNow: number,
): SimAccount {
  if (!apiKeyHeader) throw new BinanceError(401, -2014, 'API-key format invalid.');
  const account = findAccount(apiKeyHeader);
  if (!account) throw new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.');

  const signature = params.get('signature');
  if (!signature) throw mandatory('signature');
  const strip = (s: string) => s.split('&').filter((p) => p !== '' && !p.startsWith('signature=')).join('&');
  const totalParams = strip(rawQuery) + strip(rawBody);
  const expected = createHmac('sha256', account.apiSecret).update(totalParams).digest('hex');
  const given = Buffer.from(signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
    throw new BinanceError(400, -1022, 'Signature for this request is not valid.');
  }

  const timestampText = params.get('timestamp');
  if (!timestampText) throw mandatory('timestamp');
  const timestamp = Number(timestampText);
  const recvWindow = params.has('recvWindow') ? Number(params.get('recvWindow')) : 5000;
  if (!Number.isFinite(recvWindow) || recvWindow > 60000) {
    throw new BinanceError(400, -1131, 'recvWindow must be less than 60000');
  }
  if (!Number.isFinite(timestamp) || timestamp > wallNow + 1000) {
    throw new BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  }
  if (wallNow - timestamp > recvWindow) {
    throw new BinanceError(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  }
  return account;
}
