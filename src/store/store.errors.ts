/** Typed StateStore errors: every backend failure reaches the caller as one of these, never as `undefined`. */

/** The operations of the StateStore port, named in errors so a log says what failed (never which key: keys can name people). */
export type StoreOperation =
  | 'get'
  | 'set'
  | 'delete'
  | 'setIfAbsent'
  | 'withLock'
  | 'keys'
  | 'ping'
  | 'close'
  // The other Redis-backed parts of an instance share the store's connection and its errors.
  | 'outbox'
  | 'limiter'
  | 'index'
  | 'lease'
  | 'filings';

/** Base class of every error the store raises; match with `instanceof`, never by message. */
export class StoreError extends Error {
  override name = 'StoreError';

  constructor(
    readonly operation: StoreOperation,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The backend could not do the operation: unreachable, locked past the busy timeout, closed, or it answered with an error. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';

  constructor(operation: StoreOperation, backend: string, cause: unknown) {
    super(operation, `store ${operation} failed (${backend}): ${describe(cause)}`, { cause });
  }
}

/** `withLock` waited its whole bound and another holder still had the lock. */
export class StoreLockTimeoutError extends StoreError {
  override name = 'StoreLockTimeoutError';

  constructor(
    backend: string,
    readonly waitedMs: number,
  ) {
    super('withLock', `store lock not acquired within ${waitedMs} ms (${backend}): another holder kept it`);
  }
}

/**
 * A lease lock expired or was taken over while its holder still ran: the work may have overlapped
 * another holder's, so the caller must treat it as failed (and retry) even if its function returned.
 */
export class StoreLockLostError extends StoreError {
  override name = 'StoreLockLostError';

  constructor(backend: string) {
    super('withLock', `store lock lease lost while held (${backend}): the work may have overlapped another holder`);
  }
}

/** True for any error the store raised. */
export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}

/** Runs one backend call and turns any failure that is not already a StoreError into a StoreUnavailableError. */
export async function guarded<T>(operation: StoreOperation, backend: string, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreUnavailableError(operation, backend, error);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? `${cause.code}: ${cause.message}` : cause.message;
  return String(cause);
}
