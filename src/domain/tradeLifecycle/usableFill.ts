/**
 * A fill the lifecycle can count: a positive price and quantity and a finite fee. Anything else
 * (a tracker glitch, a venue answer read wrong) is refused with what is wrong, never summed.
 */
export function invalidFill(event: { type: string; eventId: string; price: number; quantity: number; fee: number }): string | null {
  const problems: string[] = [];
  if (!(Number.isFinite(event.price) && event.price > 0)) problems.push(`price ${event.price} is not positive`);
  if (!(Number.isFinite(event.quantity) && event.quantity > 0)) problems.push(`quantity ${event.quantity} is not positive`);
  if (!Number.isFinite(event.fee)) problems.push(`fee ${event.fee} is not a number`);
  return problems.length ? `event ${event.eventId} (${event.type}) is not a usable fill: ${problems.join(', ')}` : null;
}
