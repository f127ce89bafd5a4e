/** Settings: language, reminders off and on, and forgetting everything about the person. */
import type { Locale } from '../src/activity.js';
import { encodeButton } from '../src/buttons.codec.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done, expired } from './step.results.js';
import { menuButtons } from './menu.replies.js';
import { SESSION_VERSION, type FlowDeps, type SessionState, type StepResult } from '../src/turn.types.js';

/** `/lang zh|en` or the language button. */
export function setLanguage(arg: string | undefined, deps: FlowDeps): StepResult {
  const locale = arg?.trim().toLowerCase();
  if (locale !== 'zh' && locale !== 'en')
    return done(
      reply(
        [m('lang.usage')],
        [
          [
            { label: { raw: '中文' }, data: encodeButton('lg', 'zh') },
            { label: { raw: 'English' }, data: encodeButton('lg', 'en') },
          ],
        ],
      ),
    );
  const next: FlowDeps = { ...deps, me: { ...deps.me, locale: locale as Locale } };
  return { status: 'keep', replies: [reply([m('lang.set')], menuButtons(next))], effects: [{ type: 'setLocale', locale: locale as Locale }] };
}

/** `/stop`: no more reminders. */
export function stopReminders(deps: FlowDeps): StepResult {
  return { status: 'keep', replies: [reply([m('stop.done')], [[btn('stop.btnResume', encodeButton('st', 'on'))], ...menuButtons(deps)])], effects: [{ type: 'setStopped', stopped: true }] };
}

/** The "reminders on" button. */
export function resumeReminders(deps: FlowDeps): StepResult {
  return { status: 'keep', replies: [reply([m('stop.resumed')], menuButtons(deps))], effects: [{ type: 'setStopped', stopped: false }] };
}

/** `/forget`: ask first. */
export function forgetAsk(): StepResult {
  const state: SessionState = { v: SESSION_VERSION, flow: 'forget', step: 'confirm', data: {} };
  return { status: 'waiting', state, replies: [reply([m('forget.confirm')], [[btn('forget.yes', encodeButton('fg', 'yes')), btn('forget.no', encodeButton('fg', 'no'))]])] };
}

/** The answer to the /forget question. */
export function forgetAnswer(answer: string | undefined, session: SessionState | undefined, deps: FlowDeps): StepResult {
  if (session?.flow !== 'forget') return expired(deps);
  if (answer === 'yes') return { status: 'done', replies: [reply([m('forget.done')])], effects: [{ type: 'forget' }] };
  return done(reply([m('forget.kept')], menuButtons(deps)));
}
