/**
 * FILINGS_FILE imported once per content into the backend's own tables: checked by the schema,
 * sealed by the one sealer, written in batches with the port open (reads wait, the log shows the
 * progress), and skipped on a restart with the same content, which then reads no record.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { FilingEventSchema } from '../../src/filings/events.js';
import type { Filing } from '../../src/filings/filing.js';
import { importInBatches } from '../../src/filings/filings.import.js';
import { LocalFilingSource } from '../../src/filings/filings.local.js';
import { createLogger } from '../../src/log.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { route } from '../../flows/router.js';
import { makeFiling, rawFiling } from '../fixtures/filings.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'beian-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keyOf = (phone: string) => `k${phone.slice(-4)}`;

/** A logger whose lines the test reads, and the messages it logged. */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', sink: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines, messages: () => lines.map((l) => l.msg as string) };
}

/** A file's content: its hash, and its records counting how often they were read. */
function content(hash: string, filings: Filing[]) {
  const read = { times: 0 };
  return {
    read,
    source: {
      hash,
      records: () => {
        read.times += 1;
        return filings;
      },
    },
  };
}

const ids = async (filings: AsyncIterable<Filing>) => {
  const out: string[] = [];
  for await (const f of filings) out.push(f.id);
  return out;
};

const many = (n: number) => Array.from({ length: n }, (_, i) => makeFiling({ id: `VE-MANY-${String(i).padStart(6, '0')}` }));

describe('FILINGS_FILE imported once per content', () => {
  it('is written in batches once settle() runs, with its progress in the log; a read that comes first waits and sees every filing, sealed', async () => {
    const { logger, lines, messages } = recordingLogger();
    const filings = many(12_345);
    const { source } = content('big', filings);
    const store = KeyvStateStore.memory();
    const local = await LocalFilingSource.open(source, { store, db: store.database, keyOf, logger });
    expect(messages()).not.toContain('filings import started');
    const [count, first] = await Promise.all([local.count(), local.get('VE-MANY-000000'), local.settle()]);
    expect(count).toBe(12_345);
    expect(first?.subject.principal).toEqual({ name: '张*', phone: '138****8000#k8000' });
    expect(messages()).toEqual(['filings import started', 'filings import progress', 'filings imported']);
    expect(lines[1]).toMatchObject({ done: 10_000, filings: 12_345 });
    const all = await ids(local.all());
    expect(all).toEqual(filings.map((f) => f.id));
    expect(JSON.stringify(await local.byPhoneKey('k8000'))).not.toMatch(/1[3-9]\d{9}|张三|李四/);
  });

  it('an event applied while the import runs waits for it, then applies to the imported filing', async () => {
    const store = KeyvStateStore.memory();
    const local = await LocalFilingSource.open(content('h', many(1_200)).source, { store, db: store.database, keyOf });
    const importing = local.settle();
    const result = await local.apply(FilingEventSchema.parse({ eventId: 'e', type: 'filing.status', filingId: 'VE-MANY-001100', status: 'approved', at: '2026-11-29T13:00:00+08:00' }));
    await importing;
    expect(result).toMatchObject({ ok: true, filing: { id: 'VE-MANY-001100', status: 'approved' }, previous: { status: 'verifying' } });
    expect((await local.get('VE-MANY-001100'))?.status).toBe('approved');
  });

  it('a restart with the same content reads no record and says so; a new content is imported, the file’s removals go, and an event’s version wins', async () => {
    const file = join(dir, 'restart.sqlite');
    const a = makeFiling({ id: 'VE-KEEP-0001' });
    const b = makeFiling({ id: 'VE-GONE-0002' });
    const c = makeFiling({ id: 'VE-EVNT-0003' });
    const open = async (source: { hash: string; records: () => Filing[] }) => {
      const store = KeyvStateStore.sqlite(file);
      const { logger, messages } = recordingLogger();
      const local = await LocalFilingSource.open(source, { store: store.namespace('filings'), db: store.database, keyOf, logger });
      await local.settle();
      const close = async () => {
        await local.close();
        await store.close();
      };
      return { local, messages, close };
    };

    const first = content('v1', [a, b, c]);
    const one = await open(first.source);
    await one.local.apply(FilingEventSchema.parse({ eventId: 'e1', type: 'filing.returned', filingId: 'VE-EVNT-0003', reason: 'sms_timeout', at: '2026-11-29T13:00:00+08:00' }));
    await one.close();

    const again = content('v1', [a, b, c]);
    const two = await open(again.source);
    expect(again.read.times).toBe(0);
    expect(two.messages()).toEqual(['filings file already imported: no record read']);
    expect(await ids(two.local.all())).toEqual(['VE-KEEP-0001', 'VE-GONE-0002', 'VE-EVNT-0003']);
    expect((await two.local.get('VE-EVNT-0003'))?.status).toBe('returned');
    await two.close();

    const next = content('v2', [makeFiling({ id: 'VE-KEEP-0001', status: 'approved', cycle: undefined }), makeFiling({ id: 'VE-EVNT-0003', status: 'approved', cycle: undefined })]);
    const three = await open(next.source);
    expect(next.read.times).toBe(1);
    expect(await ids(three.local.all())).toEqual(['VE-KEEP-0001', 'VE-EVNT-0003']);
    expect((await three.local.get('VE-KEEP-0001'))?.status).toBe('approved');
    expect(await three.local.byPhoneKey('k9999')).toEqual([]);
    // The filing system's event came after its export: the event's version stays.
    expect((await three.local.get('VE-EVNT-0003'))?.status).toBe('returned');
    expect(await three.local.countOpen()).toBe(0);
    await three.close();
  });

  it('what an older version kept of event changes in the state store moves into the table, sealed, and leaves the store', async () => {
    const store = KeyvStateStore.memory();
    const filings = store.namespace('filings');
    await filings.set('filing:VE-TEST-0001', makeFiling({ status: 'returned', returnReason: 'sms_failed' }));
    const local = await LocalFilingSource.open(content('h', [makeFiling()]).source, { store: filings, db: store.database, keyOf });
    expect(await local.get('VE-TEST-0001')).toMatchObject({ status: 'returned', subject: { principal: { phone: '138****8000#k8000' } } });
    expect(await filings.get('filing:VE-TEST-0001')).toBeUndefined();
  });

  it('through the core: a second start on the same state file and FILINGS_FILE reads no record, and keeps what events changed', async () => {
    const filingsFile = join(dir, 'filings.json');
    writeFileSync(filingsFile, JSON.stringify({ filings: [rawFiling(), rawFiling({ id: 'VE-TEST-0002', status: 'draft', cycle: undefined })] }));
    const stateFile = join(dir, 'core.sqlite');
    const config = loadConfig({ STORE_URL: `file:${stateFile}`, FILINGS_FILE: filingsFile });
    const start = async () => {
      const { logger, messages } = recordingLogger();
      const core = await createCore(config, { route, logger, clock: new FakeClock('2026-11-29T12:00:00+08:00') });
      return { core, messages };
    };
    const first = await start();
    expect(first.messages()).toContain('filings imported');
    await first.core.filings.apply(FilingEventSchema.parse({ eventId: 'e', type: 'filing.reported', filingId: 'VE-TEST-0002', at: '2026-11-29T12:30:00+08:00' }));
    await first.core.close();
    const second = await start();
    expect(second.messages()).toContain('filings file already imported: no record read');
    expect(second.messages()).not.toContain('filings import started');
    expect((await second.core.filings.get('VE-TEST-0002'))?.cycle?.number).toBe(1);
    expect(await second.core.filings.countOpen()).toBe(2);
    await second.core.close();
  });
});

describe('importInBatches', () => {
  const records = Array.from({ length: 350 }, (_, i) => ({ id: `F${i}` }) as unknown as Filing);

  it('keeps one write in flight while the next batch starts, in file order, and finishes them all', async () => {
    const starts: string[] = [];
    let open = 0;
    let most = 0;
    await importInBatches(
      records,
      async (batch) => {
        starts.push(`${batch[0]!.id}+${batch.length}`);
        open += 1;
        most = Math.max(most, open);
        await new Promise((resolve) => setTimeout(resolve, 1));
        open -= 1;
      },
      undefined,
    );
    expect(starts).toEqual(['F0+100', 'F100+100', 'F200+100', 'F300+50']);
    expect(most).toBe(2);
    expect(open).toBe(0);
  });

  it('rejects with a failed write, including the last one', async () => {
    const failing = (id: string) => async (batch: Filing[]) => {
      if (batch[0]!.id === id) throw new Error(`store down at ${id}`);
    };
    await expect(importInBatches(records, failing('F100'), undefined)).rejects.toThrow('store down at F100');
    await expect(importInBatches(records, failing('F300'), undefined)).rejects.toThrow('store down at F300');
  });
});
