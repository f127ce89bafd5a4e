import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_FILINGS_FILE } from '../../src/config.js';
import { readFilingsFile } from '../../src/filings/filings.file.js';
import { signEvent } from '../../src/http/filing-events.hook.js';
import { reminderWorld, SECRET, type ReminderWorld } from './fakes.js';

const doc = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
const examples = Object.entries(doc.paths['/hooks/filing-events'].post.requestBody.content['application/json'].examples as Record<string, { value: unknown }>);

let w: ReminderWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('issue 13 the OpenAPI request examples are accepted by the real hook', () => {
  it.each(examples)('%s → 200 {"ok":true,"duplicate":false} on the demo filings', async (_name, example) => {
    w = await reminderWorld({ now: '2026-11-29T12:00:00+08:00', filings: readFilingsFile(DEMO_FILINGS_FILE) });
    const port = await w.server.listen(0, '127.0.0.1');
    const body = JSON.stringify(example.value);
    const ts = String(Math.floor(w.clock.now().valueOf() / 1000));
    const res = await fetch(`http://127.0.0.1:${port}/hooks/filing-events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signEvent(SECRET, ts, body) }, body });
    expect({ status: res.status, json: await res.json() }).toEqual({ status: 200, json: { ok: true, duplicate: false } });
  });
});
