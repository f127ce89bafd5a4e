import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FilingEventSchema } from '../../src/filings/events.js';
import { FilingSchema } from '../../src/filings/filing.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const doc = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as Obj;
const schemas = (doc.components as Obj).schemas as Obj;
const hook = ((doc.paths as Obj)['/hooks/filing-events'] as Obj).post as Obj;

/** Follows `#/components/schemas/X` references, keeping the referring object's own keys (OpenAPI 3.1 allows siblings). */
function resolve(node: Json, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => resolve(n, seen));
  if (!node || typeof node !== 'object') return node;
  const { $ref, ...rest } = node;
  const own = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, resolve(v, seen)]));
  if (typeof $ref !== 'string') return own;
  const name = $ref.replace('#/components/schemas/', '');
  if (seen.includes(name) || !(name in schemas)) throw new Error(`unresolvable or circular $ref ${$ref}`);
  return { ...(resolve(schemas[name]!, [...seen, name]) as Obj), ...own };
}

// Words for people (descriptions, examples, formats, the discriminator) are the document's own; the rest must match zod.
const DOC_ONLY = new Set(['description', 'examples', 'example', 'title', 'format', 'discriminator', '$schema']);

/** The constraints only: doc-only keys dropped, required and oneOf in a stable order, zod's safe-integer bounds dropped. */
function constraints(node: Json): Json {
  if (Array.isArray(node)) return node.map(constraints);
  if (!node || typeof node !== 'object') return node;
  const out: Obj = {};
  for (const [key, value] of Object.entries(node)) {
    if (DOC_ONLY.has(key)) continue;
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    if (key === 'required' && Array.isArray(value)) out[key] = [...value].sort();
    else if (key === 'oneOf' && Array.isArray(value)) out[key] = value.map(constraints).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    else out[key] = constraints(value);
  }
  return out;
}

const zodSchema = (schema: z.ZodType) => constraints(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json);

function allExamples(): Array<[string, Json]> {
  const content = (hook.requestBody as Obj).content as Obj;
  return Object.entries(((content['application/json'] as Obj).examples as Obj) ?? {}).map(([name, ex]) => [name, (ex as Obj).value!]);
}

describe('issue 13 docs/openapi.json matches the zod schemas', () => {
  it('is OpenAPI 3.1 and every $ref resolves', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(() => resolve(doc.paths!)).not.toThrow();
  });

  it('CONTRACT §2 the FilingEvent component has the same properties, required fields, enums and limits as FilingEventSchema', () => {
    expect(constraints(resolve(schemas.FilingEvent!))).toEqual(zodSchema(FilingEventSchema));
  });

  it('CONTRACT §1 the Filing component has the same properties, required fields, enums and limits as FilingSchema', () => {
    expect(constraints(resolve(schemas.Filing!))).toEqual(zodSchema(FilingSchema));
  });

  it('the comparison can fail: a missing enum value or required field is seen', () => {
    const broken = structuredClone(resolve(schemas.Filing!)) as Obj;
    ((broken.properties as Obj).status as Obj).enum = ['draft'];
    expect(constraints(broken)).not.toEqual(zodSchema(FilingSchema));
    const lax = structuredClone(resolve(schemas.Filing!)) as Obj;
    lax.required = ['id'];
    expect(constraints(lax)).not.toEqual(zodSchema(FilingSchema));
  });

  it('the discriminator maps each event type to its component', () => {
    const mapping = (schemas.FilingEvent as Obj).discriminator as Obj;
    const types = FilingEventSchema.options.map((o) => o.shape.type.value).sort();
    expect(Object.keys(mapping.mapping as Obj).sort()).toEqual(types);
    for (const [type, ref] of Object.entries(mapping.mapping as Obj)) expect(((resolve({ $ref: ref }) as Obj).properties as Obj).type).toMatchObject({ const: type });
  });

  it('has one request example per event type, and each parses with FilingEventSchema', () => {
    const examples = allExamples();
    expect(examples.map(([, v]) => (v as Obj).type).sort()).toEqual(FilingEventSchema.options.map((o) => o.shape.type.value).sort());
    for (const [name, value] of examples) expect(FilingEventSchema.safeParse(value).success, name).toBe(true);
  });

  it('the Filing example parses with FilingSchema', () => {
    for (const example of (schemas.Filing as Obj).examples as Json[]) expect(FilingSchema.safeParse(example).success).toBe(true);
  });

  it('documents every status the hook answers, and every error example has ok: false', () => {
    const responses = hook.responses as Obj;
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '401', '404', '405', '413', '500']);
    for (const [status, response] of Object.entries(responses)) {
      const examples = (((response as Obj).content as Obj)['application/json'] as Obj).examples as Obj;
      for (const example of Object.values(examples)) expect((example as Obj).value).toMatchObject({ ok: status === '200' });
    }
  });

  it('the signature headers are required and their patterns accept what signEvent makes', async () => {
    const { signEvent } = await import('../../src/http/filing-events.hook.js');
    const params = hook.parameters as Obj[];
    const header = (name: string) => params.find((p) => p.name === name)!;
    expect(header('X-Timestamp').required).toBe(true);
    expect(header('X-Signature').required).toBe(true);
    expect(signEvent('s'.repeat(16), '1795914000', '{}')).toMatch(new RegExp((header('X-Signature').schema as Obj).pattern as string));
    expect('1795914000').toMatch(new RegExp((header('X-Timestamp').schema as Obj).pattern as string));
  });
});

describe('issue 13 docs/filing-events.md shows what the code accepts', () => {
  const guide = readFileSync(new URL('../../docs/filing-events.md', import.meta.url), 'utf8');
  const blocks = [...guide.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as Obj);

  it('has an example of every event type, and each parses with FilingEventSchema', () => {
    const events = blocks.filter((b) => 'eventId' in b);
    expect(events.map((e) => e.type).sort()).toEqual(FilingEventSchema.options.map((o) => o.shape.type.value).sort());
    for (const event of events) expect(FilingEventSchema.safeParse(event).success, String(event.type)).toBe(true);
  });

  it('its filing record example parses with FilingSchema', () => {
    const records = blocks.filter((b) => 'id' in b && !('eventId' in b));
    expect(records).toHaveLength(1);
    expect(FilingSchema.safeParse(records[0]).success).toBe(true);
  });

  it('the worked signature example is what signEvent computes', async () => {
    const { signEvent } = await import('../../src/http/filing-events.hook.js');
    const body = /^body: +(.+)$/m.exec(guide)![1]!;
    const signature = /^X-Signature: (sha256=[0-9a-f]{64})$/m.exec(guide)![1]!;
    expect(signEvent('example-secret-0123456789', '1795914000', body)).toBe(signature);
    expect(/^signed text: +(.+)$/m.exec(guide)![1]).toBe(`1795914000.${body}`);
  });

  it('names every status code the OpenAPI description lists for the hook', () => {
    for (const status of Object.keys(hook.responses as Obj)) expect(guide).toMatch(new RegExp(`^\\| ${status} \\|`, 'm'));
  });
});

describe('issue 13 the OpenAPI header examples', () => {
  it('the X-Signature example is the real signature of the reported example at the X-Timestamp example', async () => {
    const { signEvent } = await import('../../src/http/filing-events.hook.js');
    const params = hook.parameters as Obj[];
    const example = (name: string) => params.find((p) => p.name === name)!.example as string;
    const reported = allExamples().find(([, v]) => (v as Obj).type === 'filing.reported')![1];
    expect(signEvent('example-secret-0123456789', example('X-Timestamp'), JSON.stringify(reported))).toBe(example('X-Signature'));
  });
});
