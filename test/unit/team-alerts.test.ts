/** Several staff platforms share the team's alerts: each is told, and a failure on one makes the caller retry without repeating the others. */
import { describe, expect, it } from 'vitest';
import { combineAlerts, type StoppableAlerts } from '../../src/adapter.js';
import type { Filing } from '../../src/filings/filing.js';

/** An alert channel that keeps a once-per-kind mark, as Slack's and Feishu's do, and can be made to fail. */
function channel(): StoppableAlerts & { stored: string[]; failing: boolean; stopped: boolean } {
  const marks = new Set<string>();
  const self = {
    stored: [] as string[],
    failing: false,
    stopped: false,
    async alert(kind: string, filing: Filing) {
      if (self.failing) throw new Error('store down');
      const key = `${filing.id}:${kind}`;
      if (marks.has(key)) return false;
      marks.add(key);
      self.stored.push(key);
      return true;
    },
    stop() {
      self.stopped = true;
    },
  };
  return self;
}

const filing = { id: 'VE-2026-000101' } as Filing;

describe('combineAlerts', () => {
  it('is undefined for no channel and the channel itself for one', () => {
    const one = channel();
    expect(combineAlerts([undefined, undefined])).toBeUndefined();
    expect(combineAlerts([undefined, one])).toBe(one);
  });

  it('tells every channel; true when any stored it, false when all had it already', async () => {
    const slack = channel();
    const feishu = channel();
    const both = combineAlerts([slack, feishu])!;
    expect(await both.alert('at_risk', filing)).toBe(true);
    expect(await both.alert('at_risk', filing)).toBe(false);
    expect(slack.stored).toEqual(['VE-2026-000101:at_risk']);
    expect(feishu.stored).toEqual(['VE-2026-000101:at_risk']);
    both.stop();
    expect(slack.stopped && feishu.stopped).toBe(true);
  });

  it('rejects when one could not store it; the retry stores it there and nothing twice elsewhere', async () => {
    const slack = channel();
    const feishu = channel();
    const both = combineAlerts([slack, feishu])!;
    feishu.failing = true;
    await expect(both.alert('returned', filing)).rejects.toThrow('store down');
    feishu.failing = false;
    expect(await both.alert('returned', filing)).toBe(true);
    expect(slack.stored).toEqual(['VE-2026-000101:returned']);
    expect(feishu.stored).toEqual(['VE-2026-000101:returned']);
  });
});
