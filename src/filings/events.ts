/** Filing events (CONTRACT §2), validated with zod. */
import { z } from 'zod';
import { FILING_STATUSES, FilingIdSchema, FilingSchema, PhoneSchema, RETURN_REASONS } from './filing.js';

const At = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: 'must be an ISO 8601 date-time with an offset',
});
const base = { eventId: z.string().min(1).max(200), at: At };

/** One filing event as the filing system sends it. */
export const FilingEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('filing.upserted'), filing: FilingSchema }),
  z.object({ ...base, type: z.literal('filing.reported'), filingId: FilingIdSchema }),
  z.object({ ...base, type: z.literal('verification.confirmed'), filingId: FilingIdSchema, phone: PhoneSchema }),
  z.object({ ...base, type: z.literal('filing.returned'), filingId: FilingIdSchema, reason: z.enum(RETURN_REASONS) }),
  z.object({ ...base, type: z.literal('filing.status'), filingId: FilingIdSchema, status: z.enum(FILING_STATUSES) }),
]);

/** A validated filing event. */
export type FilingEvent = z.output<typeof FilingEventSchema>;
