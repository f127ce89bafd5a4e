/** The ways a step ends that every flow shares: done, expired, not found. */
import type { Reply } from '../src/activity.js';
import { m, reply } from '../src/reply.builders.js';
import type { FlowDeps, StepResult } from '../src/turn.types.js';
import { menuButtons } from './menu.replies.js';
import { echoId } from '../src/rules/echo.rules.js';

/** A finished turn with one reply. */
export function done(...replies: Reply[]): StepResult {
  return { status: 'done', replies };
}

/** "This button has expired", with a fresh menu (tampered, stale or foreign button data). */
export function expired(deps: FlowDeps): StepResult {
  return done(reply([m('error.expired')], menuButtons(deps)));
}

/** The same answer for an unknown filing and one this person may not see (R8); the typed id is echoed only as `echoId` allows. */
export function notFound(deps: FlowDeps, id: string): StepResult {
  return done(reply([m('lookup.notFound', { id: echoId(id) })], menuButtons(deps)));
}
