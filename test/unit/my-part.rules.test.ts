import { describe, expect, it } from 'vitest';
import { cycleState, type ExtraConfirmations } from '../../src/rules/cycle.rules.js';
import { myPart, type MyPart, type NoSmsReason } from '../../src/rules/my-part.rules.js';
import { renderMsg } from '../../src/i18n/catalog.js';
import { m } from '../../src/reply.builders.js';
import { instant, toChinaTime } from '../../src/time.js';
import { makeFiling } from '../fixtures/filings.fixture.js';

const SUBJECT = '13800138000';
const SITE = '13900139000';
const EMERGENCY = '13700137000';
const STRANGER = '13600136000';
const NOW = instant('2026-11-29T12:00:00+08:00');

/** A filing whose subject principal is SUBJECT, whose one website's principal is SITE, with EMERGENCY as its emergency phone. */
function filing(overrides: Record<string, unknown> = {}) {
  return makeFiling({
    subject: { name: '测试公司', principal: { name: '张三', phone: SUBJECT } },
    websites: [{ name: '官网', domains: ['a.example.cn'], principal: { name: '李四', phone: SITE } }],
    emergencyPhone: EMERGENCY,
    ...overrides,
  });
}

/** The part of `phone` in the filing at `now`, with the given confirmations. */
function partOf(phone: string, overrides: Record<string, unknown> = {}, now = NOW, extra: ExtraConfirmations = {}): MyPart {
  const f = filing(overrides);
  return myPart(f, cycleState(f, now, extra), (p) => p === phone);
}

const verified = (phones: string[]) => ({ cycle: { number: 1, reportedAt: '2026-11-29T09:00:00+08:00', verified: Object.fromEntries(phones.map((p) => [p, '2026-11-29T10:00:00+08:00'])) } });

describe('R1 who gets no SMS, with the source page’s reason per type and role', () => {
  it.each<[string, string, Record<string, unknown>, NoSmsReason]>([
    ['first_filing → emergency contact: no SMS, emergency contact', EMERGENCY, { type: 'first_filing' }, 'emergency-contact'],
    ['new_website → subject principal: no SMS, only the website principal verifies', SUBJECT, { type: 'new_website' }, 'new-website'],
    ['access → subject principal: no SMS, only the website principal verifies', SUBJECT, { type: 'access' }, 'access'],
    ['change website-only → subject principal: no SMS, website-only change', SUBJECT, { type: 'change', changes: ['website'] }, 'website-only-change'],
    ['change subject-only → website principal: no SMS, subject-only change', SITE, { type: 'change', changes: ['subject'] }, 'subject-only-change'],
    ['deregister website → subject principal: no SMS, website deregistration', SUBJECT, { type: 'deregister', target: 'website' }, 'website-deregistration'],
    ['deregister subject → website principal: no SMS, subject deregistration', SITE, { type: 'deregister', target: 'subject' }, 'subject-deregistration'],
    ['change website-only → emergency contact: no SMS, emergency contact', EMERGENCY, { type: 'change', changes: ['website'] }, 'emergency-contact'],
    ['first_filing → a phone the filing does not name: no SMS, not a party', STRANGER, { type: 'first_filing' }, 'not-a-party'],
  ])('R1 %s', (_name, phone, overrides, reason) => {
    expect(partOf(phone, overrides)).toEqual({ kind: 'no-sms', reason });
  });

  it.each([SUBJECT, SITE, EMERGENCY, STRANGER])('R1 cancel_access → %s: no SMS step at all, whoever asks', (phone) => {
    expect(partOf(phone, { type: 'cancel_access', status: 'bureau_review', cycle: undefined })).toEqual({ kind: 'no-sms', reason: 'no-sms-step' });
  });

  it('R1 a principal left out of a change who is also the emergency contact is told the change’s reason', () => {
    expect(partOf(SUBJECT, { type: 'change', changes: ['website'], emergencyPhone: SUBJECT })).toEqual({ kind: 'no-sms', reason: 'website-only-change' });
  });

  it('R1 the subject principal of a website-only change who is also the website principal verifies (one phone, one SMS)', () => {
    const websites = [{ name: '官网', domains: ['a.example.cn'], principal: { name: '张三', phone: SUBJECT } }];
    expect(partOf(SUBJECT, { type: 'change', changes: ['website'], websites })).toMatchObject({ kind: 'verify' });
  });
});

describe('R1–R3 what a verifier must do', () => {
  it.each<[string, string, Record<string, unknown>]>([
    ['first_filing → subject principal', SUBJECT, { type: 'first_filing' }],
    ['first_filing → website principal', SITE, { type: 'first_filing' }],
    ['new_website → website principal', SITE, { type: 'new_website' }],
    ['access → website principal', SITE, { type: 'access' }],
    ['change website-only → website principal', SITE, { type: 'change', changes: ['website'] }],
    ['change subject-only → subject principal', SUBJECT, { type: 'change', changes: ['subject'] }],
    ['change both → subject principal', SUBJECT, { type: 'change', changes: ['subject', 'website'] }],
    ['change both → website principal', SITE, { type: 'change', changes: ['subject', 'website'] }],
    ['deregister website → website principal', SITE, { type: 'deregister', target: 'website' }],
    ['deregister subject → subject principal', SUBJECT, { type: 'deregister', target: 'subject' }],
  ])('R1 R3 %s, pending in an open window: verify by the deadline', (_name, phone, overrides) => {
    const part = partOf(phone, overrides);
    expect(part.kind).toBe('verify');
    if (part.kind !== 'verify') return;
    expect(toChinaTime(part.deadline)).toBe('2026-11-30 09:00');
    expect(part.msLeft).toBe(21 * 3_600_000);
  });

  it('R2 verified by the filing system while another verifier is pending: wait for the others', () => {
    expect(partOf(SUBJECT, verified([SUBJECT]))).toEqual({ kind: 'wait-others', source: 'system' });
    expect(partOf(SITE, verified([SUBJECT]))).toMatchObject({ kind: 'verify' });
  });

  it('R2 everyone verified: already verified', () => {
    expect(partOf(SUBJECT, verified([SUBJECT, SITE]))).toEqual({ kind: 'verified', source: 'system' });
  });

  it('R2 a self-report or a team confirmation counts as done, and says which it was', () => {
    expect(partOf(SUBJECT, {}, NOW, { self: { [SUBJECT]: '2026-11-29T11:00:00+08:00' } })).toEqual({ kind: 'wait-others', source: 'self' });
    expect(partOf(SUBJECT, {}, NOW, { team: { [SUBJECT]: '2026-11-29T11:00:00+08:00' } })).toEqual({ kind: 'wait-others', source: 'team' });
  });

  it('R3 verified while another missed the window: already verified (no one left to wait for)', () => {
    expect(partOf(SUBJECT, verified([SUBJECT]), instant('2026-11-30T10:00:00+08:00'))).toEqual({ kind: 'verified', source: 'system' });
  });

  it('R3 pending after the deadline, or in a returned filing: the window has closed', () => {
    expect(partOf(SUBJECT, {}, instant('2026-11-30T10:00:00+08:00'))).toEqual({ kind: 'window-closed' });
    expect(partOf(SUBJECT, { status: 'returned', returnReason: 'sms_timeout' })).toEqual({ kind: 'window-closed' });
  });

  it('R2 not reported yet (draft, provider review), even after an earlier cycle: will verify once reported', () => {
    expect(partOf(SUBJECT, { status: 'draft', cycle: undefined })).toEqual({ kind: 'will-verify' });
    expect(partOf(SITE, { status: 'provider_review', ...verified([SITE]) })).toEqual({ kind: 'will-verify' });
  });

  it('R2 a withdrawn filing, or one under review with the SMS step behind it: nothing to do now', () => {
    expect(partOf(SUBJECT, { status: 'withdrawn', cycle: undefined })).toEqual({ kind: 'nothing-now' });
    expect(partOf(SITE, { status: 'bureau_review' })).toEqual({ kind: 'nothing-now' });
  });
});

describe('R1 each no-SMS reason, in both languages, names who verifies instead', () => {
  it.each<[NoSmsReason, RegExp, RegExp]>([
    ['no-sms-step', /取消接入没有短信核验环节/, /cancelling access has no SMS verification step/],
    ['emergency-contact', /只发给备案中填写的负责人手机号码，不会发给应急联系电话/, /never to the emergency contact phone/],
    ['new-website', /新增网站只由网站负责人核验/, /new-website filing is verified by the website principal only/],
    ['access', /接入备案只由网站负责人核验/, /access filing is verified by the website principal only/],
    ['website-only-change', /只涉及网站信息，只由网站负责人核验/, /only the website’s information, so only the website principal verifies/],
    ['subject-only-change', /只涉及主体信息，只由主体负责人核验/, /only the subject’s information, so only the subject principal verifies/],
    ['website-deregistration', /注销网站只由该网站的网站负责人核验/, /deregistering a website is verified by that website’s principal only/],
    ['subject-deregistration', /注销主体只由主体负责人核验/, /deregistering the subject is verified by the subject principal only/],
    ['not-a-party', /备案中没有填写您的号码/, /your number is not written in this filing/],
  ])('R1 %s', (reason, zh, en) => {
    const msg = m(`noSms.${reason}`);
    expect(renderMsg('zh', msg)).toMatch(zh);
    expect(renderMsg('en', msg)).toMatch(en);
    // Only the emergency contact's reason is about the emergency phone.
    if (reason !== 'emergency-contact') {
      expect(renderMsg('zh', msg)).not.toContain('应急');
      expect(renderMsg('en', msg)).not.toContain('emergency');
    }
  });
});
