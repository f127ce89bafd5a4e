import { describe, expect, it } from 'vitest';
import { phonesOf, requiredVerifiers, type Role, type Verifier } from '../../src/rules/verifiers.rules.js';
import { makeFiling } from '../fixtures/filings.fixture.js';

const SUBJECT = { name: '张三', phone: '13800138000' };
const SITE_A = { name: '官网', domains: ['a.example.cn'], principal: { name: '李四', phone: '13900139000' } };
const SITE_B = { name: '商城', domains: ['b.example.cn'], principal: { name: '王五', phone: '13600136000' } };

const subjectRole: Role = { kind: 'subject' };
const siteRole = (website: string): Role => ({ kind: 'website', website });

/** The verifiers as phone → roles, order-insensitive. */
function rolesByPhone(verifiers: Verifier[]): Record<string, Role[]> {
  return Object.fromEntries(verifiers.map((v) => [v.phone, v.roles]));
}

describe('R1 who must verify, by filing type', () => {
  it.each<[string, Record<string, unknown>, Record<string, Role[]>]>([
    [
      'first_filing → the subject principal and every website principal',
      { type: 'first_filing', websites: [SITE_A, SITE_B] },
      { '13800138000': [subjectRole], '13900139000': [siteRole('官网')], '13600136000': [siteRole('商城')] },
    ],
    ['first_filing with no website → the subject principal only', { type: 'first_filing', websites: [] }, { '13800138000': [subjectRole] }],
    ['new_website → the website principal of each new website, not the subject principal', { type: 'new_website', websites: [SITE_A, SITE_B] }, { '13900139000': [siteRole('官网')], '13600136000': [siteRole('商城')] }],
    ['access → the website principal of each website being transferred', { type: 'access', websites: [SITE_A], currentAccessProvider: '某云' }, { '13900139000': [siteRole('官网')] }],
    ['change ["subject"] → the subject principal', { type: 'change', changes: ['subject'], websites: [SITE_A] }, { '13800138000': [subjectRole] }],
    ['change ["website"] → that website principal', { type: 'change', changes: ['website'], websites: [SITE_A] }, { '13900139000': [siteRole('官网')] }],
    ['change ["subject","website"] → both', { type: 'change', changes: ['subject', 'website'], websites: [SITE_A] }, { '13800138000': [subjectRole], '13900139000': [siteRole('官网')] }],
    ['deregister target subject → the subject principal', { type: 'deregister', target: 'subject', websites: [SITE_A] }, { '13800138000': [subjectRole] }],
    ['deregister target website → that website principal', { type: 'deregister', target: 'website', websites: [SITE_A] }, { '13900139000': [siteRole('官网')] }],
  ])('R1 %s', (_name, overrides, expected) => {
    const result = requiredVerifiers(makeFiling({ subject: { name: '测试公司', principal: SUBJECT }, ...overrides }));
    expect(result.required).toBe(true);
    expect(rolesByPhone(result.verifiers)).toEqual(expected);
    expect(result.verifiers).toHaveLength(Object.keys(expected).length);
  });

  it('R1 cancel_access → nobody: no SMS step', () => {
    const result = requiredVerifiers(makeFiling({ type: 'cancel_access', status: 'bureau_review', cycle: undefined }));
    expect(result).toEqual({ required: false, reason: 'no_sms_step', verifiers: [] });
  });

  it('R1 verifiers carry the principal’s name', () => {
    const result = requiredVerifiers(makeFiling({ type: 'first_filing', subject: { name: '测试公司', principal: SUBJECT }, websites: [SITE_A] }));
    expect(result.verifiers.map((v) => v.name).sort()).toEqual(['张三', '李四'].sort());
  });
});

describe('R1 one person is one phone number', () => {
  it('R1 first_filing with one shared phone → one verifier, two roles', () => {
    const filing = makeFiling({
      type: 'first_filing',
      subject: { name: '测试公司', principal: { name: '张三', phone: '13800138000' } },
      websites: [{ name: '官网', domains: [], principal: { name: '张三', phone: '+86 138-0013-8000' } }],
    });
    const result = requiredVerifiers(filing);
    expect(result.verifiers).toEqual([{ phone: '13800138000', name: '张三', roles: [subjectRole, siteRole('官网')] }]);
  });

  it('R1 first_filing: a shared phone among three roles → one verifier with three roles, plus the other person', () => {
    const filing = makeFiling({
      type: 'first_filing',
      subject: { name: '测试公司', principal: { name: '张三', phone: '0086 13800138000' } },
      websites: [
        { name: '官网', principal: { name: '张三', phone: '138 0013 8000' } },
        { name: '商店', principal: { name: '李四', phone: '13900139000' } },
        { name: '博客', principal: { name: '张三', phone: '86-138-0013-8000' } },
      ],
    });
    expect(rolesByPhone(requiredVerifiers(filing).verifiers)).toEqual({
      '13800138000': [subjectRole, siteRole('官网'), siteRole('博客')],
      '13900139000': [siteRole('商店')],
    });
  });

  it('R1 change ["subject","website"] with one shared phone → one verifier, two roles', () => {
    const filing = makeFiling({
      type: 'change',
      changes: ['subject', 'website'],
      subject: { name: '测试公司', principal: { name: '张三', phone: '13800138000' } },
      websites: [{ name: '官网', principal: { name: '张三', phone: '+86 138 0013 8000' } }],
    });
    expect(requiredVerifiers(filing).verifiers).toEqual([{ phone: '13800138000', name: '张三', roles: [subjectRole, siteRole('官网')] }]);
  });

  it('R1 new_website: two websites with one principal → one verifier, two website roles', () => {
    const filing = makeFiling({
      type: 'new_website',
      websites: [SITE_A, { ...SITE_B, principal: { name: '李四', phone: '+86 139-0013-9000' } }],
    });
    expect(rolesByPhone(requiredVerifiers(filing).verifiers)).toEqual({ '13900139000': [siteRole('官网'), siteRole('商城')] });
  });
});

describe('R1 the emergency contact never receives the SMS', () => {
  it.each([
    ['first_filing', {}],
    ['new_website', { type: 'new_website' }],
    ['access', { type: 'access' }],
    ['change both', { type: 'change', changes: ['subject', 'website'] }],
    ['deregister subject', { type: 'deregister', target: 'subject' }],
    ['deregister website', { type: 'deregister', target: 'website' }],
  ])('R1 %s: the emergency phone is never a verifier', (_name, overrides) => {
    const filing = makeFiling({ emergencyPhone: '+86 137-0013-7000', ...overrides });
    expect(filing.emergencyPhone).toBe('13700137000');
    expect(requiredVerifiers(filing).verifiers.map((v) => v.phone)).not.toContain('13700137000');
  });

  it('R8 phonesOf lists every principal and the emergency contact once, normalized', () => {
    const filing = makeFiling({
      emergencyPhone: '13700137000',
      websites: [SITE_A, { ...SITE_B, principal: { name: '张三', phone: '+86 138 0013 8000' } }],
    });
    expect(phonesOf(filing).sort()).toEqual(['13700137000', '13800138000', '13900139000']);
  });
});
