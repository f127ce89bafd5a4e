/**
 * The team flow on its own (issue 9 item 3): nudge cooldown, record confirmation and the R6 path,
 * over fake ports and a fake clock; its steps write nothing, and the Slack adapter applies their writes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runConfirmation, runNudge, trackReturns, type SlackTeam } from '../../adapters/slack/slack.team.js';
import { confirmChoices, confirmStep, NUDGE_COOLDOWN_MS, nudgeKey, nudgeStep, recoveryPath } from '../../flows/team.flow.js';
import { homeData, returnDate } from '../../flows/team.views.js';
import { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import type { Filing } from '../../src/filings/filing.js';
import { DEMO_ANCHOR } from '../../src/filings/filings.file.js';
import { silentLogger } from '../../src/log.js';
import { KeyvStateStore } from '../../src/backends/local/keyv.store.js';
import { route } from '../../flows/router.js';
import { waitFor } from '../support/wait.js';
import { makeFiling, returnedAccessRecord } from '../fixtures/filings.fixture.js';
import { localBackend } from '../../src/backends/local/local.backend.js';

let core: Core;
let clock: FakeClock;
let deps: SlackTeam;
let audits: Array<{ action: string } & Record<string, unknown>>;
let nudged: string[];

beforeEach(async () => {
  clock = new FakeClock(DEMO_ANCHOR);
  core = await createCore(loadConfig({ STORE_URL: 'memory://' }), { route, backend: localBackend(KeyvStateStore.memory()), logger: silentLogger, clock });
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
  };
});
afterEach(async () => {
  await core.close();
});

const filing = async (id: string): Promise<Filing> => (await core.filings.get(id))!;

describe('nudge cooldown', () => {
  it('nudges once, then refuses a second nudge of the same filing within 10 minutes, naming who and when', async () => {
    expect(await runNudge(deps, await filing('VE-2026-000101'), 'alice')).toEqual({ status: 'done', count: 2 });
    clock.advance(NUDGE_COOLDOWN_MS - 1_000);
    expect(await runNudge(deps, await filing('VE-2026-000101'), 'bob')).toEqual({ status: 'refused', at: '2026-11-29 12:00', by: 'alice', next: '2026-11-29 12:10' });
    expect(nudged).toEqual(['VE-2026-000101']);
    expect(audits.map((a) => [a.action, a.actor])).toEqual([
      ['nudge', 'alice'],
      ['nudge.refused', 'bob'],
    ]);
  });

  it('allows the next nudge once the 10 minutes are over, and never holds another filing back', async () => {
    await runNudge(deps, await filing('VE-2026-000101'), 'alice');
    expect((await runNudge(deps, await filing('VE-2026-000102'), 'alice')).status).toBe('done');
    clock.advance(NUDGE_COOLDOWN_MS);
    expect((await runNudge(deps, await filing('VE-2026-000101'), 'bob')).status).toBe('done');
    expect(nudged).toEqual(['VE-2026-000101', 'VE-2026-000102', 'VE-2026-000101']);
  });

  it('a failed nudge claims no cooldown: the next try goes through at once', async () => {
    const failing: SlackTeam = { ...deps, nudge: async () => Promise.reject(new Error('down')) };
    await expect(runNudge(failing, await filing('VE-2026-000101'), 'alice')).rejects.toThrow('down');
    expect((await runNudge(deps, await filing('VE-2026-000101'), 'alice')).status).toBe('done');
  });

  it('has nothing to nudge on a returned filing, and no service without a nudger', async () => {
    expect(await runNudge(deps, await filing('VE-2026-000103'), 'alice')).toEqual({ status: 'nothing' });
    const { nudge: _nudge, ...withoutNudger } = deps;
    expect(await runNudge(withoutNudger, await filing('VE-2026-000101'), 'alice')).toEqual({ status: 'no_service' });
    expect(nudged).toEqual([]);
  });
});

/** The first pending verifier of a filing, as the chooser offers them. */
async function firstChoice(id: string) {
  const choices = await confirmChoices(deps, await filing(id));
  if (choices.status !== 'choose') throw new Error(`${id} offers no choice`);
  const index = choices.summary.verifiers.findIndex((v) => v.state === 'pending');
  return { cycle: choices.cycle, index, keyPrefix: choices.summary.verifiers[index]!.key.slice(0, 8) };
}

/** `port`, recording the name of each of its methods once a call to it has finished (an async one once it resolved). */
function watched<T extends object>(port: T, calls: string[]): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const record = <R>(result: R): R => {
        calls.push(String(prop));
        return result;
      };
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result instanceof Promise ? result.then(record) : record(result);
      };
    },
  });
}

describe('the team flow writes nothing; the adapter applies its writes', () => {
  it('a nudge step returns its claim as a write, touching no mark and sending nothing; runNudge writes it', async () => {
    const calls: string[] = [];
    const step = await nudgeStep({ ...deps, marks: watched(deps.marks, calls) }, await filing('VE-2026-000101'), 'alice', undefined);
    const mark = { at: clock.now().valueOf(), by: 'alice' };
    expect(step).toEqual({
      result: { status: 'claimed', cycle: 1, release: [{ type: 'mark.delete', key: 'nudge:VE-2026-000101' }] },
      writes: [{ type: 'mark.set', key: 'nudge:VE-2026-000101', value: mark, ttlMs: NUDGE_COOLDOWN_MS }],
    });
    expect(calls).toEqual([]);
    expect(nudged).toEqual([]);
    expect(await deps.marks.get(nudgeKey('VE-2026-000101'))).toBeUndefined();

    expect(await runNudge(deps, await filing('VE-2026-000101'), 'alice')).toEqual({ status: 'done', count: 2 });
    expect(await deps.marks.get(nudgeKey('VE-2026-000101'))).toEqual(mark);
  });

  it('a confirmation step returns the confirmation to write, writing nothing; runConfirmation writes it', async () => {
    const choice = await firstChoice('VE-2026-000101');
    const calls: string[] = [];
    const step = await confirmStep({ ...deps, people: watched(core.people, calls) }, await filing('VE-2026-000101'), choice, 'alice');
    if (step.status !== 'record') throw new Error(`expected a confirmation to write, got ${step.status}`);
    expect(step.write).toEqual({ filingId: 'VE-2026-000101', cycle: 1, phoneKey: step.who.key, confirmation: { at: clock.now().toISOString(), by: 'alice' } });
    expect(calls).not.toContain('teamConfirm');
    expect(await firstChoice('VE-2026-000101')).toEqual(choice);
    expect(audits).toEqual([]);

    expect((await runConfirmation(deps, await filing('VE-2026-000101'), choice, 'alice')).status).toBe('recorded');
    const after = await confirmChoices(deps, await filing('VE-2026-000101'));
    expect(after.status === 'choose' && after.summary.verifiers[choice.index]?.state).toBe('team');
  });

  it('a return is dated by a write the view returns; trackReturns applies it and the home view shows the exact time', async () => {
    const before = await filing('VE-2026-000102');
    const event = { type: 'filing.returned', eventId: 'e-ret', at: '2026-11-29T13:30:00+08:00', filingId: before.id, reason: 'sms_failed' } as const;
    expect(returnDate(deps, { ...before, status: 'returned' }, before, event)).toEqual({ type: 'mark.set', key: 'returned:VE-2026-000102:2', value: '2026-11-29T05:30:00.000Z', ttlMs: 14 * 86_400_000 });
    expect(returnDate(deps, before, before, event)).toBeUndefined();

    const calls: string[] = [];
    const stop = trackReturns({ ...deps, marks: watched(deps.marks, calls) }, core.filings, silentLogger);
    clock.advance(2 * 3_600_000);
    await core.filings.apply(event);
    await waitFor('the return dated', () => calls.includes('set'));
    stop();
    expect((await homeData(deps)).returned.find((r) => r.filing.id === before.id)).toMatchObject({ at: '2026-11-29 13:30', approximate: false });
  });
});

describe('record confirmation', () => {
  it('offers the pending verifiers of a filing being verified, and nobody on a returned one', async () => {
    expect((await confirmChoices(deps, await filing('VE-2026-000101'))).status).toBe('choose');
    expect(await confirmChoices(deps, await filing('VE-2026-000103'))).toEqual({ status: 'none' });
  });

  it('records once, dated by the clock and audit-logged; a second record of the same choice is "already"', async () => {
    const choice = await firstChoice('VE-2026-000101');
    const recorded = await runConfirmation(deps, await filing('VE-2026-000101'), choice, 'alice');
    expect(recorded.status).toBe('recorded');
    expect(recorded.status !== 'stale' && recorded.who.phone).toMatch(/^\d{3}\*{4}\d{4}$/);
    expect((await runConfirmation(deps, await filing('VE-2026-000101'), choice, 'bob')).status).toBe('already');
    expect(audits).toEqual([expect.objectContaining({ action: 'team_confirm', filingId: 'VE-2026-000101', cycle: 1, actor: 'alice' })]);
  });

  it('refuses a choice made for another cycle or whose key prefix does not match (stale)', async () => {
    const choice = await firstChoice('VE-2026-000101');
    expect(await runConfirmation(deps, await filing('VE-2026-000101'), { ...choice, cycle: choice.cycle + 1 }, 'alice')).toEqual({ status: 'stale' });
    expect(await runConfirmation(deps, await filing('VE-2026-000101'), { ...choice, keyPrefix: 'zzzzzzzz' }, 'alice')).toEqual({ status: 'stale' });
    expect(audits).toEqual([]);
  });
});

describe('R6 recovery path', () => {
  it('R6 access with a shell website: the access tree from its deregister steps, the shell note and the re-report line', async () => {
    const path = recoveryPath(deps, await filing('VE-2026-000103'));
    expect(path.tree?.start).toBe('deregister-new');
    expect(path.notes).toEqual([{ key: 'recovery.shellNote' }]);
    expect(path.params).toEqual({ provider: { key: 'recovery.provider.current' } });
    expect(path.reportedBy).toMatchObject({ key: expect.stringMatching(/^recovery\.reportedBy/) });
  });

  it.each<[string, Record<string, unknown>, string, unknown[], unknown]>([
    ['silent', {}, 'hosted', [], { key: 'recovery.provider.current' }],
    ['provider only', { currentAccessProvider: '某云' }, 'hosted', [{ key: 'recovery.providerNote', params: { provider: '某云' } }], { key: 'recovery.provider.named', params: { name: '某云' } }],
    [
      'hosted, provider named',
      { shellWebsite: false, currentAccessProvider: '某云' },
      'principal-ok',
      [{ key: 'recovery.hostedNote' }, { key: 'recovery.providerNote', params: { provider: '某云' } }],
      { key: 'recovery.provider.named', params: { name: '某云' } },
    ],
    ['hosted', { shellWebsite: false }, 'principal-ok', [{ key: 'recovery.hostedNote' }], { key: 'recovery.provider.current' }],
    ['shell, provider named', { shellWebsite: true, currentAccessProvider: '某云' }, 'deregister-new', [{ key: 'recovery.shellNote' }], { key: 'recovery.provider.named', params: { name: '某云' } }],
  ])('R6 access, record %s: starts at the question it leaves open, with its notes and the provider for the steps', (_what, facts, start, notes, provider) => {
    const path = recoveryPath(deps, makeFiling(returnedAccessRecord(facts)));
    expect(path.tree?.start).toBe(start);
    expect(path.notes).toEqual(notes);
    expect(path.params).toEqual({ provider });
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
