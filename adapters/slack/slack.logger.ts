/** The core's redacting logger, in the shape Bolt and its Web API client expect. */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/log.js';

/** Adapts the core's redacting logger to the logger interface Bolt and its Web API client expect. */
export function toBoltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const rank: Record<LogLevel, number> = { [LogLevel.DEBUG]: 0, [LogLevel.INFO]: 1, [LogLevel.WARN]: 2, [LogLevel.ERROR]: 3 };
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  const at =
    (l: LogLevel, write: (text: string) => void) =>
    (...msg: unknown[]) => {
      if (rank[l] >= rank[level]) write(line(msg));
    };
  return {
    debug: at(LogLevel.DEBUG, (t) => logger.debug(`bolt: ${t}`)),
    info: at(LogLevel.INFO, (t) => logger.info(`bolt: ${t}`)),
    warn: at(LogLevel.WARN, (t) => logger.warn(`bolt: ${t}`)),
    error: at(LogLevel.ERROR, (t) => logger.error(`bolt: ${t}`)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
