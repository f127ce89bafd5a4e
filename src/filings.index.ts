/** The phone index of the FilingSource: which filings name a phone (principals and emergency contact), by the phone's key. */
import type { Filing } from './filing.js';
import { phonesOf } from './rules/verifiers.rules.js';

/**
 * Filing ids by phone key. Most phones name one filing, so an entry is that id, or the ids in the
 * order they came: a Set per phone cost four times the memory at 100,000 filings (issue 12).
 */
export class PhoneIndex {
  private readonly ids = new Map<string, string | string[]>();

  constructor(private readonly keyOf: (phone: string) => string) {}

  /** The ids of the filings naming the phone with this key, in the order they were added. */
  get(key: string): readonly string[] {
    const ids = this.ids.get(key);
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids;
  }

  /** Adds a filing under each of its phones; written out rather than through phonesOf, as it runs for every filing at start. */
  add(filing: Filing): void {
    this.addOne(filing.subject.principal.phone, filing.id);
    for (const w of filing.websites) this.addOne(w.principal.phone, filing.id);
    if (filing.emergencyPhone) this.addOne(filing.emergencyPhone, filing.id);
  }

  /** Removes a filing from under each of its phones. */
  remove(filing: Filing): void {
    for (const phone of phonesOf(filing)) {
      const key = this.keyOf(phone);
      const ids = this.ids.get(key);
      if (ids === filing.id) this.ids.delete(key);
      else if (Array.isArray(ids)) {
        const rest = ids.filter((id) => id !== filing.id);
        if (rest.length === 0) this.ids.delete(key);
        else this.ids.set(key, rest.length === 1 ? rest[0]! : rest);
      }
    }
  }

  private addOne(phone: string, id: string): void {
    const key = this.keyOf(phone);
    const ids = this.ids.get(key);
    if (ids === undefined) this.ids.set(key, id);
    else if (typeof ids === 'string') {
      if (ids !== id) this.ids.set(key, [ids, id]);
    } else if (!ids.includes(id)) ids.push(id);
  }
}
