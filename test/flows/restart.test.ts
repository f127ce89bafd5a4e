import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { world } from '../support/transcript.js';
import { sealPhone } from '../../src/rules/phone.rules.js';

const dir = mkdtempSync(join(tmpdir(), 'beian-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the embedded store survives a restart', () => {
  it('a link, counters, settings and event-applied filing changes are there after a restart on the same file', async () => {
    const file = join(dir, 'state.sqlite');
    const first = await world({ store: KeyvStateStore.sqlite(file) });
    await first.chat({ locale: 'en' }).send('/link 13800138000').send('/lang en').send('/lookup VE-2026-000101').tap('resend').tap('resent').expect('1 resend left');
    await first.core.filings.apply({ type: 'verification.confirmed', eventId: 'e1', at: first.clock.now().toISOString(), filingId: 'VE-2026-000101', phone: '13900139000' });
    await first.core.close();

    const second = await world({ store: KeyvStateStore.sqlite(file) });
    await second
      .chat()
      .send('/lookup VE-2026-000101')
      .expect('You must verify: the SMS went to your number 138****8000.')
      .expect('• 李* 139****9000, website principal of “示例商城”: verified')
      .tap('resend')
      .expect('Resends used in this cycle: 1 of 2; 1 left.');
    // Filings hold sealed phones (issue 11 §3): the confirmation is kept under the sealed form.
    expect((await second.core.filings.get('VE-2026-000101'))!.cycle!.verified).toHaveProperty([sealPhone('13900139000', second.core.people.keyOf)]);
    await second.core.close();
  });
});
