/**
 * Realistic filings files for the benchmarks: every filing type, 1–3 websites, phones in the
 * writings people use, a share in open verification windows around `now`, the rest older.
 */
import { writeFileSync } from 'node:fs';
import { seededRandom } from '../test/support/random.js';

const HOUR = 3_600_000;
const SURNAMES = ['张', '李', '王', '赵', '钱', '孙', '周', '吴', '郑', '陈', '欧阳'];
const GIVEN = ['三', '四', '伟', '芳', '敏', '静', '丽', '强', '磊', '洋', '晓明'];
const CITIES = ['杭州', '上海', '北京', '深圳', '成都', '南京'];
const TRADES = ['科技', '文化传媒', '信息技术', '网络', '电子商务'];
const STATUSES_CLOSED = ['approved', 'bureau_review', 'returned', 'draft', 'provider_review', 'withdrawn'] as const;

/** The phone of person `n`, normalized (11 digits). */
function phoneOf(n: number): string {
  return `1${3 + (n % 7)}${String(n % 1_000_000_000).padStart(9, '0')}`;
}

/** A phone written the ways filings write them. */
function written(phone: string, r: number): string {
  if (r < 0.6) return phone;
  if (r < 0.75) return `+86 ${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`;
  if (r < 0.9) return `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
  return `0086-${phone}`;
}

function iso(ms: number): string {
  // The provider writes China Standard Time with its offset.
  return new Date(ms + 8 * HOUR).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

/** `count` filing records; `openShare` of them in a 24 h window reported before `now`. */
export function generateFilings(count: number, now: number, openShare = 0.1, seed = 12): Record<string, unknown>[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const name = () => pick(SURNAMES) + pick(GIVEN);
  const out: Record<string, unknown>[] = [];
  const openEvery = Math.round(1 / openShare);
  for (let i = 0; i < count; i++) {
    const person = (k: number) => ({ name: name(), phone: phoneOf(i * 4 + k) });
    const subject = person(0);
    const siteCount = 1 + Math.floor(rnd() * 3);
    const websites = Array.from({ length: siteCount }, (_, w) => {
      // A small firm's subject principal often runs the website too.
      const principal = w === 0 && rnd() < 0.3 ? subject : person(1 + w);
      return { name: `站点${i}-${w}`, domains: [`s${i}w${w}.example.cn`, ...(rnd() < 0.3 ? [`www.s${i}w${w}.example.cn`] : [])], principal: { name: principal.name, phone: written(principal.phone, rnd()) } };
    });
    const type = pick(['first_filing', 'first_filing', 'new_website', 'access', 'change', 'deregister', 'cancel_access'] as const);
    const record: Record<string, unknown> = {
      id: `VE-2026-${String(i).padStart(7, '0')}`,
      type,
      subject: { name: `${pick(CITIES)}示例${pick(TRADES)}有限公司${i}`, principal: { name: subject.name, phone: written(subject.phone, rnd()) } },
      websites,
    };
    if (rnd() < 0.5) record.emergencyPhone = written(phoneOf(i * 4 + 3), rnd());
    if (type === 'change') record.changes = rnd() < 0.5 ? ['website'] : ['subject', 'website'];
    if (type === 'deregister') record.target = rnd() < 0.5 ? 'subject' : 'website';
    if (type === 'access') {
      record.currentAccessProvider = '某云';
      record.shellWebsite = rnd() < 0.1;
    }
    const open = i % openEvery === 0 && type !== 'cancel_access';
    if (open) {
      const reportedAt = now - Math.floor(rnd() * 23 * HOUR);
      const verified: Record<string, string> = {};
      if (rnd() < 0.3) verified[subject.phone] = iso(reportedAt + 20 * 60_000);
      record.status = 'verifying';
      record.cycle = { number: 1 + Math.floor(rnd() * 2), reportedAt: iso(reportedAt), verified };
    } else {
      const status = type === 'cancel_access' && i % openEvery === 0 ? 'bureau_review' : pick(STATUSES_CLOSED);
      record.status = status;
      if (status !== 'draft' && status !== 'provider_review') {
        const reportedAt = now - (2 + Math.floor(rnd() * 200)) * 24 * HOUR;
        record.cycle = { number: 1, reportedAt: iso(reportedAt), verified: status === 'returned' ? {} : { [subject.phone]: iso(reportedAt + HOUR) } };
      }
      if (status === 'returned') record.returnReason = pick(['sms_timeout', 'sms_failed', 'other'] as const);
    }
    out.push(record);
  }
  return out;
}

/** Writes a `FILINGS_FILE` with `count` filings; returns its size in bytes. */
export function writeFilingsFile(file: string, count: number, now: number, openShare = 0.1): number {
  const text = JSON.stringify({ filings: generateFilings(count, now, openShare) });
  writeFileSync(file, text);
  return Buffer.byteLength(text);
}
