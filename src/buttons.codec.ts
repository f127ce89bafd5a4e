/** Compact, typed button data: `action(:part)*`, at most 64 bytes (Telegram's callback_data limit). */
import { z } from 'zod';

/** Every button action. */
export const ACTIONS = {
  my: 'my filings',
  hp: 'help',
  lg: 'language',
  lk: 'lookup',
  vg: 'verify guide',
  vn: 'verify guide, next step',
  vo: 'verify outcome',
  vr: 'remind other verifiers',
  rg: 'resend guide',
  ro: 'resend outcome',
  rc: 'recovery start',
  ra: 'recovery answer',
  iv: 'I have verified',
  st: 'reminders on',
  fg: 'forget confirmation',
} as const;

/** A button action code. */
export type Action = keyof typeof ACTIONS;

/** Parsed button data. */
export interface ButtonData {
  action: Action;
  args: string[];
}

const Part = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);
const DataSchema = z
  .string()
  .max(64)
  .transform((s) => s.split(':'))
  .pipe(z.tuple([z.enum(Object.keys(ACTIONS) as [Action, ...Action[]])], Part).refine((parts) => parts.length <= 4));

/** Encodes button data; throws if it would exceed 64 bytes (a programming error, caught by tests). */
export function encodeButton(action: Action, ...args: Array<string | number>): string {
  const data = [action, ...args.map(String)].join(':');
  if (Buffer.byteLength(data, 'utf8') > 64) throw new Error(`button data over 64 bytes: ${action}`);
  return data;
}

/** Parses button data from a platform; undefined for anything tampered or unknown. */
export function parseButton(data: string): ButtonData | undefined {
  const parsed = DataSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const [action, ...args] = parsed.data;
  return { action, args };
}
