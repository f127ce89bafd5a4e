/** Filing records (CONTRACT §1): the zod schema at the boundary and the normalized in-memory shape. */
import { z } from 'zod';
import { normalizePhone } from '../rules/phone.rules.js';

/** Filing types, as ids in data (RULES R1). */
export const FILING_TYPES = ['first_filing', 'new_website', 'access', 'change', 'cancel_access', 'deregister'] as const;
/** A filing type id. */
export type FilingType = (typeof FILING_TYPES)[number];
/** Filing statuses (CONTRACT §1). */
export const FILING_STATUSES = ['draft', 'provider_review', 'verifying', 'bureau_review', 'returned', 'approved', 'withdrawn'] as const;
/** A filing status. */
export type FilingStatus = (typeof FILING_STATUSES)[number];
/** Why the bureau returned a filing. */
export const RETURN_REASONS = ['sms_timeout', 'sms_failed', 'other'] as const;

/** A phone as written anywhere in a record: validated and normalized to 11 digits. */
export const PhoneSchema = z.string().transform((value, ctx) => {
  const result = normalizePhone(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: `not a mainland mobile number: ${result.message}` });
    return z.NEVER;
  }
  return result.phone;
});

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

// An ISO 8601 date-time with an offset that names a real instant.
function isIsoInstant(s: string): boolean {
  return ISO_INSTANT.test(s) && !Number.isNaN(Date.parse(s));
}

const Iso = z.string().refine(isIsoInstant, {
  message: 'must be an ISO 8601 date-time with an offset, like 2026-11-29T09:00:00+08:00',
});

const PersonSchema = z.object({ name: z.string().trim().min(1).max(100), phone: PhoneSchema });

/** A filing id: 4–40 of A–Z a–z 0–9 - _. */
export const FilingIdSchema = z.string().regex(/^[A-Za-z0-9_-]{4,40}$/, 'must be 4–40 of A–Z a–z 0–9 - _');

const CycleSchema = z.object({
  number: z.number().int().min(1),
  reportedAt: Iso,
  verified: z
    .record(z.string(), Iso)
    .default({})
    .transform((map, ctx) => {
      const out: Record<string, string> = {};
      for (const [raw, at] of Object.entries(map)) {
        const phone = normalizePhone(raw);
        if (!phone.ok) ctx.addIssue({ code: 'custom', message: `verified has a key that is not a mainland mobile number: ${phone.message}` });
        else out[phone.phone] = at;
      }
      return out;
    }),
});

/** One filing record as CONTRACT §1 describes it, with phones normalized. */
export const FilingSchema = z
  .object({
    id: FilingIdSchema,
    type: z.enum(FILING_TYPES),
    subject: z.object({ name: z.string().trim().min(1).max(200), principal: PersonSchema }),
    websites: z.array(z.object({ name: z.string().trim().min(1).max(200), domains: z.array(z.string().min(1).max(253)).default([]), principal: PersonSchema })).default([]),
    emergencyPhone: PhoneSchema.optional(),
    changes: z
      .array(z.enum(['subject', 'website']))
      .min(1)
      .optional(),
    target: z.enum(['subject', 'website']).optional(),
    currentAccessProvider: z.string().max(200).optional(),
    shellWebsite: z.boolean().optional(),
    status: z.enum(FILING_STATUSES),
    cycle: CycleSchema.optional(),
    returnReason: z.enum(RETURN_REASONS).optional(),
  })
  .superRefine((f, ctx) => {
    for (const [field, message] of crossFieldProblems(f)) ctx.addIssue({ code: 'custom', path: [field], message });
  });

/** The fields the cross-field rules read. */
type CrossFields = { type: FilingType; status: FilingStatus; changes?: readonly string[]; target?: string; cycle?: unknown; returnReason?: string; websites?: readonly unknown[] };

// The rules between fields of a record whose fields are each valid: [field, message] per broken rule.
function crossFieldProblems(f: CrossFields): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  if (f.type === 'change' && !f.changes) problems.push(['changes', 'a change filing needs "changes": ["subject"], ["website"] or both']);
  if (f.type !== 'change' && f.changes) problems.push(['changes', 'only a change filing has "changes"']);
  if (f.type === 'deregister' && !f.target) problems.push(['target', 'a deregister filing needs "target": "subject" or "website"']);
  if (f.type !== 'deregister' && f.target) problems.push(['target', 'only a deregister filing has "target"']);
  if (f.status === 'verifying' && !f.cycle) problems.push(['cycle', 'required when status is verifying']);
  if (f.returnReason && f.status !== 'returned') problems.push(['returnReason', 'only a returned filing has a returnReason']);
  const needsWebsite = f.type === 'new_website' || f.type === 'access' || (f.type === 'deregister' && f.target === 'website') || (f.type === 'change' && f.changes?.includes('website'));
  if (needsWebsite && (f.websites?.length ?? 0) === 0) problems.push(['websites', `a ${f.type} filing needs at least one website`]);
  return problems;
}

/** A filing record after validation: every phone is 11 normalized digits. */
export type Filing = z.output<typeof FilingSchema>;
/** A person named in a filing. */
export type Person = Filing['subject']['principal'];

/** The file shape of `FILINGS_FILE`. */
export const FilingsFileSchema = z.object({ filings: z.array(z.unknown()) });
