/** The router: one turn's input, with the stored state, to the step that handles it. Pure; all I/O through deps. */
import { parseButton } from '../src/buttons.codec.js';
import { btn, m, reply } from '../src/reply.builders.js';
import { done, expired } from './step.results.js';
import { menuButtons } from './menu.replies.js';
import { encodeButton } from '../src/buttons.codec.js';
import type { FlowDeps, StepResult, TurnInput } from '../src/turn.types.js';
import { looksSensitive } from '../src/rules/privacy.rules.js';
import { lookup } from './lookup.flow.js';
import { link, myFilings, start } from './onboarding.flow.js';
import { recoveryAnswer, recoveryStart } from './recovery.flow.js';
import { resendOutcome, resendStart } from './resend.flow.js';
import { forgetAnswer, forgetAsk, resumeReminders, setLanguage, stopReminders } from './settings.flow.js';
import { remindOthers, selfReport, verifyNext, verifyOutcome, verifyStart } from './verify.flow.js';

const COMMAND = /^\/([a-zA-Z_]+)(?:@\w+)?(?:\s+([\s\S]*))?$/;
// A bare filing id typed on its own (it must hold a digit, so plain words stay help).
const BARE_ID = /^(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{4,40}$/;

/** Short help with buttons: never a dead end. */
export function help(deps: FlowDeps): StepResult {
  const lines = [m('help.text')];
  if (deps.me.can.canLinkByCommand) lines.push(m('help.console'));
  const menu = menuButtons(deps);
  const lang = btn('menu.lang', encodeButton('lg', deps.me.locale === 'zh' ? 'en' : 'zh'));
  // Before linking, the menu already offers the other language: one button for it is enough.
  const offered = menu.flat().some((b) => 'data' in b && b.data === lang.data);
  return { status: 'keep', replies: [reply(lines, offered ? menu : [...menu, [lang]])] };
}

async function onText(text: string, input: TurnInput, deps: FlowDeps): Promise<StepResult> {
  if (looksSensitive(text)) {
    const lines = [m('guard.code')];
    if (deps.me.can.canDeleteMessages) lines.push(m('guard.deleted'));
    return { status: 'keep', replies: [{ lines, deleteIncoming: true }] };
  }
  const command = COMMAND.exec(text.trim());
  if (!command) {
    const trimmed = text.trim();
    if (BARE_ID.test(trimmed)) return lookup(trimmed, deps);
    return help(deps);
  }
  const name = command[1]!.toLowerCase();
  const arg = command[2]?.trim() || undefined;
  switch (name) {
    case 'start':
      return start(arg, deps);
    case 'lookup':
    case 'status':
      return lookup(arg?.split(/\s+/)[0], deps);
    case 'help':
      return help(deps);
    case 'lang':
      return setLanguage(arg, deps);
    case 'stop':
      return stopReminders(deps);
    case 'forget':
      return forgetAsk();
    case 'mine':
      return myFilings(deps);
    case 'link':
      // Only a local, trusted demo may link by typing a number (CONTRACT §4); elsewhere the phone must come from the platform.
      if (!deps.me.can.canLinkByCommand) return help(deps);
      if (!arg) return done(reply([m('link.usage')]));
      return link({ phone: arg, isOwn: true }, input.session, deps);
    default:
      return help(deps);
  }
}

async function onAction(data: string, input: TurnInput, deps: FlowDeps): Promise<StepResult> {
  const button = parseButton(data);
  if (!button) return expired(deps);
  const [a, b, c] = button.args;
  const { session } = input;
  switch (button.action) {
    case 'my':
      return myFilings(deps);
    case 'hp':
      return help(deps);
    case 'lg':
      return setLanguage(a, deps);
    case 'lk':
      return a ? lookup(a, deps) : expired(deps);
    case 'st':
      return resumeReminders(deps);
    case 'fg':
      return forgetAnswer(a, session, deps);
  }
  if (!a) return expired(deps);
  switch (button.action) {
    case 'vg':
      return verifyStart(a, deps);
    case 'vn':
      return verifyNext(a, session, deps);
    case 'vo':
      return verifyOutcome(a, b ?? '', session, deps);
    case 'vr':
      return remindOthers(a, session, deps);
    case 'iv':
      return selfReport(a, deps);
    case 'rg':
      return resendStart(a, deps);
    case 'ro':
      return resendOutcome(a, b ?? '', session, deps);
    case 'rc':
      return recoveryStart(a, deps);
    case 'ra':
      return b && c ? recoveryAnswer(a, b, c, session, deps) : expired(deps);
  }
}

/** Routes one turn: the code guard first, then commands, buttons and contacts; anything else gets help. */
export async function route(input: TurnInput, deps: FlowDeps): Promise<StepResult> {
  const { activity } = input;
  // In a group others would read the filing (R8: only the person whose phone it names may see it).
  if (activity.shared && !(activity.input.type === 'text' && looksSensitive(activity.input.text))) return { status: 'keep', replies: [{ lines: [m('group.private')] }] };
  switch (activity.input.type) {
    case 'text':
      return onText(activity.input.text, input, deps);
    case 'action':
      return onAction(activity.input.data, input, deps);
    case 'contact':
      return link(activity.input, input.session, deps);
  }
}
