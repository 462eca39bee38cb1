/** One logger for the process. Children carry context: log.child({ uid, kind, namespace, name }). */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: opts.name ?? 'mizzen',
    level: opts.level ?? process.env.MIZZEN_LOG_LEVEL ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that discards everything: the default for tests and pure callers. */
export const silentLogger: Logger = pino({ level: 'silent' });
