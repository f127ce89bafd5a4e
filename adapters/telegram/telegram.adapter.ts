/** Telegram adapter (issue 4) — being written. */
import type { RunningAdapter } from '../../src/adapter.js';
import type { Core } from '../../src/core.js';
import type { HttpServer } from '../../src/server.js';

/** Starts the Telegram adapter: registers the 'telegram' Channel on core.channels, polls or mounts its webhook. */
export async function startTelegram(core: Core, server: HttpServer): Promise<RunningAdapter> {
  void core;
  void server;
  throw new Error('Telegram adapter not built yet');
}
