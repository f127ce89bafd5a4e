/** Keys derived from phone numbers, so state never holds a full phone number (RULES R8). */
import { createHmac, randomBytes } from 'node:crypto';
import type { StateStore } from './store/state-store.js';

/** Turns a normalized phone into an opaque, stable key; the same phone always gives the same key. */
export type PhoneKeyer = (phone: string) => string;

/**
 * A keyer with a per-installation random secret kept in the store (created once, atomically), so
 * every instance sharing the store derives the same keys and the keys cannot be reversed without it.
 */
export async function openPhoneKeyer(store: StateStore): Promise<PhoneKeyer> {
  await store.setIfAbsent('meta:phone-key-secret', randomBytes(32).toString('hex'));
  const secret = (await store.get<string>('meta:phone-key-secret'))!;
  return (phone) => createHmac('sha256', secret).update(phone).digest('base64url').slice(0, 22);
}
