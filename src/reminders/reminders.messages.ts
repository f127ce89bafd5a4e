/** What reminders say (R3, R5, R6): replies as data, rendered per person's locale by the scheduler. */
import type { Button, Reply } from '../activity.js';
import type { Filing } from '../filings/filing.js';
import { toDateParams, type WorkdayResult } from '../rules/workday.rules.js';
import { maskPhone } from '../rules/phone.rules.js';
import { toChinaTime, type Dayjs } from '../time.js';
import { encodeButton } from '../buttons.codec.js';
import { btn, m, reply } from '../reply.builders.js';
import { timeLeftMsg } from '../summary/filing.summary.js';

const chinaMinutes = new Map<number, string>();

/**
 * `toChinaTime`, memoized by the minute it shows. Formatting in a time zone costs ~0.1 ms; a
 * catch-up after a start formats thousands of deadlines, but a day holds only 1,440 minutes.
 */
export function deadlineText(deadline: Dayjs): string {
  const minute = Math.floor(deadline.valueOf() / 60_000);
  let text = chinaMinutes.get(minute);
  if (text === undefined) {
    if (chinaMinutes.size >= 10_000) chinaMinutes.clear();
    text = toChinaTime(deadline);
    chinaMinutes.set(minute, text);
  }
  return text;
}

/** The buttons every reminder carries: verify guide, resend guide, "I have verified". */
export function reminderButtons(filingId: string): Button[][] {
  return [[btn('btn.verifyGuide', encodeButton('vg', filingId)), btn('btn.resendGuide', encodeButton('rg', filingId))], [btn('btn.iVerified', encodeButton('iv', filingId))]];
}

/** R5: the start notice (`notice`) or a stage reminder, with the exact deadline in China time and the time left (R3). */
export function stageReply(filing: Filing, stage: string, phone: string, deadline: Dayjs, now: Dayjs): Reply {
  const params = { id: filing.id, deadline: deadlineText(deadline), left: timeLeftMsg(deadline.valueOf() - now.valueOf()) };
  const line = stage === 'notice' ? m('remind.notice', { ...params, phone: maskPhone(phone) }) : m('remind.stage', params);
  return reply([line], reminderButtons(filing.id));
}

/** A nudge asked for by another verifier (`other`) or by the team (`team`). */
export function nudgeReply(filing: Filing, kind: 'other' | 'team', deadline: Dayjs, now: Dayjs): Reply {
  const params = { id: filing.id, deadline: deadlineText(deadline), left: timeLeftMsg(deadline.valueOf() - now.valueOf()) };
  return reply([m(kind === 'team' ? 'remind.nudge' : 'remind.other', params)], reminderButtons(filing.id));
}

/** R6: the filing was returned; a button into the recovery wizard and the "reported again by" date for a resubmission today. */
export function returnedReply(filing: Filing, reReport: WorkdayResult): Reply {
  const reason = m(`reason.${filing.returnReason ?? 'other'}`);
  const by = m('remind.reReport', { id: filing.id, ...toDateParams(reReport) });
  return reply([m('remind.returned', { id: filing.id, reason }), by], [[btn('btn.recovery', encodeButton('rc', filing.id))]]);
}
