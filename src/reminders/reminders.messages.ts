/** What reminders say (R3, R5, R6): replies as data, rendered per person's locale by the scheduler. */
import type { Button, Msg, Reply } from '../activity.js';
import type { Filing } from '../filings/filing.js';
import { toDateParams, type WorkdayResult } from '../rules/workday.rules.js';
import { maskPhone } from '../rules/phone.rules.js';
import { VERIFY_WINDOW_MS } from '../rules/cycle.rules.js';
import type { ReminderStage } from '../rules/reminder.rules.js';
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

/**
 * R5: the start notice (`notice`) or a stage reminder, with the exact deadline in China time and the
 * time left (R3). A notice that goes out once stage `late` has fallen due also says when the SMS went
 * out and that less than that stage's time is left: a late report must not read like a fresh one.
 */
export function stageReply(filing: Filing, stage: string, phone: string, deadline: Dayjs, now: Dayjs, late?: ReminderStage): Reply {
  const params = { id: filing.id, deadline: deadlineText(deadline), left: timeLeftMsg(deadline.valueOf() - now.valueOf()) };
  if (stage !== 'notice') return reply([m('remind.stage', params)], reminderButtons(filing.id));
  const lines = [m('remind.notice', { ...params, phone: maskPhone(phone) })];
  if (late && late.id !== 'notice') lines.push(m('remind.late', { sent: deadlineText(deadline.subtract(VERIFY_WINDOW_MS, 'ms')), within: spanMsg(late.offsetMs) }));
  return reply(lines, reminderButtons(filing.id));
}

/** The notice to the people linked to a phone the filing system has confirmed: recorded, and no more reminders this cycle. */
export function confirmedReply(filing: Filing): Reply {
  return reply([m('remind.confirmed', { id: filing.id })]);
}

// A stage's offset before the deadline in words: whole hours when it is some (the usual 12h, 4h, 1h), else minutes.
function spanMsg(ms: number): Msg {
  return ms % 3_600_000 === 0 ? m('time.hours', { h: ms / 3_600_000 }) : m('time.minutes', { m: ms / 60_000 });
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
