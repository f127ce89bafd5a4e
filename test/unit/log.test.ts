import { describe, expect, it } from 'vitest';
import { createLogger, redact, redactText, silentLogger } from '../../src/log.js';

describe('R8 redactText masks phones, ID numbers and codes', () => {
  it.each([
    ['13800138000', '138****8000'],
    ['call 13800138000 now', 'call 138****8000 now'],
    ['+86 138 0013 8000', '138****8000'],
    ['86-138-0013-8000', '138****8000'],
    ['138-0013-8000', '138****8000'],
    ['张三(13800138000)', '张三(138****8000)'],
    ['two: 13800138000, 13900139000', 'two: 138****8000, 139****9000'],
    ['id 110101199003071234', 'id [id]'],
    ['id 11010119900307123X', 'id [id]'],
    ['id 11010119900307123x.', 'id [id].'],
    ['old id 110101900307123', 'old id [id]'],
    ['123456', '[digits]'],
    ['my code is 654321!', 'my code is [digits]!'],
    ['验证码123456', '验证码[digits]'],
    ['nothing personal here', 'nothing personal here'],
    ['filing VE-2026-0001', 'filing VE-2026-0001'],
    ['12345 and 1234567', '12345 and 1234567'],
    ['full-width １２３４５６', 'full-width [digits]'],
    ['spaced 12 34 56 ok', 'spaced [digits] ok'],
    ['dashed 123-456', 'dashed [digits]'],
    ['zero-width 123\u200b456', 'zero-width [digits]'],
    ['from 12381: 123 456, long message that goes on and on past forty characters', 'from 12381: [digits], long message that goes on and on past forty characters'],
  ])('R8 %j → %j', (input, output) => {
    expect(redactText(input)).toBe(output);
  });

  it('R8 no full phone survives in any common writing', () => {
    for (const phone of ['13800138000', '+8613800138000', '86 138 0013 8000', '138 0013 8000']) expect(redactText(`x ${phone} y`)).not.toMatch(/0013/);
  });
});

describe('R8 redact log fields', () => {
  it.each([
    ['phone', '13800138000'],
    ['text', 'hello'],
    ['name', '张三'],
    ['body', '{}'],
    ['contact', { phone: '1' }],
    ['token', 'xoxb-secret'],
    ['botToken', 'abc'],
    ['secret', 's'],
    ['signature', 'sha256=...'],
    ['authorization', 'Bearer x'],
    ['code', '123456'],
    ['password', 'p'],
  ])('R8 a field named %s is dropped', (key, value) => {
    expect(redact({ [key]: value })).toEqual({ [key]: '[redacted]' });
  });

  it('R8 other fields keep their value with strings masked, nested too', () => {
    expect(redact({ filingId: 'VE-1', count: 3, ok: true, none: null, note: 'to 13800138000', nested: { list: ['123456', 'x'], deeper: { phone: '13800138000', msg: 'id 110101199003071234' } } })).toEqual({
      filingId: 'VE-1',
      count: 3,
      ok: true,
      none: null,
      note: 'to 138****8000',
      nested: { list: ['[digits]', 'x'], deeper: { phone: '[redacted]', msg: 'id [id]' } },
    });
  });

  it('R8 an Error becomes its name and masked message', () => {
    expect(redact(new TypeError('bad 13800138000'))).toEqual({ name: 'TypeError', message: 'bad 138****8000' });
  });
});

describe('R8 createLogger writes redacted JSON lines to its sink', () => {
  /** A logger and the records it wrote. */
  function capture(opts: Parameters<typeof createLogger>[0] = {}) {
    const lines: string[] = [];
    const logger = createLogger({ ...opts, sink: (line) => lines.push(line) });
    return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  it('R8 fields named phone, text and token are redacted; nested strings are masked; the message too', () => {
    const { logger, lines, records } = capture();
    logger.info('linked 13800138000', {
      phone: '13800138000',
      text: 'my code 123456',
      token: '123:ABC',
      filing: { id: 'VE-1', note: 'principal 13900139000', ids: ['110101199003071234'] },
    });
    expect(records()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'linked 138****8000',
        phone: '[redacted]',
        text: '[redacted]',
        token: '[redacted]',
        filing: { id: 'VE-1', note: 'principal 139****9000', ids: ['[id]'] },
      }),
    ]);
    expect(lines[0]).not.toMatch(/13800138000|13900139000|123456|110101199003071234|ABC/);
    expect(records()[0]!.t).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('R8 a child logger’s base fields are redacted too', () => {
    const { logger, records } = capture();
    logger.child({ phone: '13800138000', conv: 'c-13800138000' }).warn('x');
    expect(records()[0]).toMatchObject({ level: 'warn', phone: '[redacted]', conv: 'c-138****8000' });
  });

  it.each<[string, 'debug' | 'info' | 'warn' | 'error' | 'silent', string[]]>([
    ['debug', 'debug', ['debug', 'info', 'warn', 'error']],
    ['info (default)', 'info', ['info', 'warn', 'error']],
    ['warn', 'warn', ['warn', 'error']],
    ['error', 'error', ['error']],
    ['silent', 'silent', []],
  ])('level %s writes only what is at or above it', (_name, level, written) => {
    const { logger, records } = capture({ level });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(records().map((r) => r.level)).toEqual(written);
  });

  it('R8 the text format (the console demo) writes one plain line, redacted like the JSON line', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'text', sink: (line) => lines.push(line) });
    logger.info('not shown');
    logger.warn('calendar ends 2026-12-31 for 13800138000', { officialThrough: '2026-12-31', estimating: false, phone: '13800138000', error: new Error('at 13800138000') });
    expect(lines).toEqual(['warn: calendar ends 2026-12-31 for 138****8000 (officialThrough=2026-12-31, estimating=false, phone=[redacted], error={"name":"Error","message":"at 138****8000"})']);
    // A line break inside a value cannot start a line of its own.
    logger.warn('a\nerror: forged', { file: 'x\r\nwarn: forged too' });
    expect(lines[1]).toBe('warn: a\\nerror: forged (file=x\\nwarn: forged too)');
  });

  it('silentLogger writes nothing and does not throw', () => {
    expect(() => silentLogger.error('x', { phone: '13800138000' })).not.toThrow();
  });
});
