/** The team flow on its own (issue 9 item 3): nudge cooldown, record confirmation and the R6 path, over fake ports and a fake clock. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmChoices, NUDGE_COOLDOWN_MS, nudgeFiling, recordConfirmation, recoveryPath, type TeamDeps } from '../../flows/team.flow.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import type { Filing } from '../../src/filings/filing.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { silentLogger } from '../../src/log.js';
import { KeyvStateStore } from '../../src/store/keyv.store.js';
import { route } from '../../flows/router.js';

let core: Core;
let clock: FakeClock;
let deps: TeamDeps;
let audits: Array<{ action: string } & Record<string, unknown>>;
let nudged: string[];

beforeEach(async () => {
  clock = new FakeClock(DEMO_ANCHOR);
  core = await createCore(loadConfig({ STORE_URL: 'memory://' }), { route, store: KeyvStateStore.memory(), logger: silentLogger, clock });
  audits = [];
  nudged = [];
  deps = {
    clock,
    calendar: core.calendar,
    filings: core.filings,
    people: core.people,
    marks: core.store.namespace('team'),
    nudge: async (filing) => {
      nudged.push(filing.id);
      return 2;
    },
    audit: (action, fields) => audits.push({ action, ...fields }),
    warn: () => undefined,
  };
});
afterEach(async () => {
  await core.close();
});

const filing = async (id: string): Promise<Filing> => (await core.filings.get(id))!;

describe('nudge cooldown', () => {
  it('nudges once, then refuses a second nudge of the same filing within 10 minutes, naming who and when', async () => {
    expect(await nudgeFiling(deps, await filing('VE-2026-000101'), 'alice')).toEqual({ status: 'done', count: 2 });
    clock.advance(NUDGE_COOLDOWN_MS - 1_000);
    expect(await nudgeFiling(deps, await filing('VE-2026-000101'), 'bob')).toEqual({ status: 'refused', at: '2026-11-29 12:00', by: 'alice', next: '2026-11-29 12:10' });
    expect(nudged).toEqual(['VE-2026-000101']);
    expect(audits.map((a) => [a.action, a.actor])).toEqual([
      ['nudge', 'alice'],
      ['nudge.refused', 'bob'],
    ]);
  });

  it('allows the next nudge once the 10 minutes are over, and never holds another filing back', async () => {
    await nudgeFiling(deps, await filing('VE-2026-000101'), 'alice');
    expect((await nudgeFiling(deps, await filing('VE-2026-000102'), 'alice')).status).toBe('done');
    clock.advance(NUDGE_COOLDOWN_MS);
    expect((await nudgeFiling(deps, await filing('VE-2026-000101'), 'bob')).status).toBe('done');
    expect(nudged).toEqual(['VE-2026-000101', 'VE-2026-000102', 'VE-2026-000101']);
  });

  it('a failed nudge claims no cooldown: the next try goes through at once', async () => {
    const failing: TeamDeps = { ...deps, nudge: async () => Promise.reject(new Error('down')) };
    await expect(nudgeFiling(failing, await filing('VE-2026-000101'), 'alice')).rejects.toThrow('down');
    expect((await nudgeFiling(deps, await filing('VE-2026-000101'), 'alice')).status).toBe('done');
  });

  it('has nothing to nudge on a returned filing, and no service without a nudger', async () => {
    expect(await nudgeFiling(deps, await filing('VE-2026-000103'), 'alice')).toEqual({ status: 'nothing' });
    const { nudge: _nudge, ...withoutNudger } = deps;
    expect(await nudgeFiling(withoutNudger, await filing('VE-2026-000101'), 'alice')).toEqual({ status: 'no_service' });
    expect(nudged).toEqual([]);
  });
});

describe('record confirmation', () => {
  async function firstChoice(id: string) {
    const choices = await confirmChoices(deps, await filing(id));
    if (choices.status !== 'choose') throw new Error(`${id} offers no choice`);
    const index = choices.summary.verifiers.findIndex((v) => v.state === 'pending');
    return { cycle: choices.cycle, index, keyPrefix: choices.summary.verifiers[index]!.key.slice(0, 8) };
  }

  it('offers the pending verifiers of a filing being verified, and nobody on a returned one', async () => {
    expect((await confirmChoices(deps, await filing('VE-2026-000101'))).status).toBe('choose');
    expect(await confirmChoices(deps, await filing('VE-2026-000103'))).toEqual({ status: 'none' });
  });

  it('records once, dated by the clock and audit-logged; a second record of the same choice is "already"', async () => {
    const choice = await firstChoice('VE-2026-000101');
    const recorded = await recordConfirmation(deps, await filing('VE-2026-000101'), choice, 'alice');
    expect(recorded.status).toBe('recorded');
    expect(recorded.status !== 'stale' && recorded.who.phone).toMatch(/^\d{3}\*{4}\d{4}$/);
    expect((await recordConfirmation(deps, await filing('VE-2026-000101'), choice, 'bob')).status).toBe('already');
    expect(audits).toEqual([expect.objectContaining({ action: 'team_confirm', filingId: 'VE-2026-000101', cycle: 1, actor: 'alice' })]);
  });

  it('refuses a choice made for another cycle or whose key prefix does not match (stale)', async () => {
    const choice = await firstChoice('VE-2026-000101');
    expect(await recordConfirmation(deps, await filing('VE-2026-000101'), { ...choice, cycle: choice.cycle + 1 }, 'alice')).toEqual({ status: 'stale' });
    expect(await recordConfirmation(deps, await filing('VE-2026-000101'), { ...choice, keyPrefix: 'zzzzzzzz' }, 'alice')).toEqual({ status: 'stale' });
    expect(audits).toEqual([]);
  });
});

describe('R6 recovery path', () => {
  it('R6 access with a shell website: the access tree, the shell note and the re-report line', async () => {
    const path = recoveryPath(deps, await filing('VE-2026-000103'));
    expect(path.tree).toBeDefined();
    expect(path.notes).toEqual([{ key: 'recovery.shellNote' }]);
    expect(path.reportedBy).toMatchObject({ key: expect.stringMatching(/^recovery\.reportedBy/) });
  });

  it('R6 cancel_access: no tree, only "not applicable"', async () => {
    const path = recoveryPath(deps, await filing('VE-2026-000106'));
    expect(path.tree).toBeUndefined();
    expect(path.notes).toEqual([{ key: 'recovery.notApplicable' }]);
  });

  it('R6 a return for another reason says so before the tree', async () => {
    const returned = { ...(await filing('VE-2026-000112')), returnReason: 'other' as const };
    expect(recoveryPath(deps, returned).notes).toEqual([{ key: 'recovery.otherReason' }]);
  });
});
