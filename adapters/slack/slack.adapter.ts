/** Slack adapter (issue 5) — being written. */
import type { RunningAdapter } from '../../src/adapter.js';
import type { Core } from '../../src/core.js';
import type { HttpServer } from '../../src/server.js';

/** Starts the Slack adapter: mounts POST /slack/events (or Socket Mode) and sets core.teamAlerts when an alert channel is set. */
export async function startSlack(core: Core, server: HttpServer): Promise<RunningAdapter> {
  void core;
  void server;
  throw new Error('Slack adapter not built yet');
}
