/** Reminders, filing events, health and metrics (issue 6) — being written. */
import type { RunningAdapter } from '../adapter.js';
import type { Core } from '../core.js';
import type { HttpServer } from '../server.js';

/** Mounts /healthz, /metrics and (with EVENTS_SECRET) /hooks/filing-events; starts the reminder scheduler; sets core.nudger. */
export async function startReminders(core: Core, server: HttpServer, adapters: RunningAdapter[]): Promise<RunningAdapter> {
  void core;
  void server;
  void adapters;
  throw new Error('reminders not built yet');
}
