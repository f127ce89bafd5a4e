/** Wires the reminder service and the core's HTTP routes on a test core the way src/main.ts does. */
import type { RunningAdapter, TeamAlerts } from '../../src/adapter.js';
import type { Core } from '../../src/core.js';
import { mountHttpRoutes } from '../../src/http/http.routes.js';
import { startReminders, type RemindersOptions, type RunningReminders } from '../../src/reminders/service.js';
import type { HttpServer } from '../../src/server.js';

/** Starts the reminders over the core's parts (with the team's alerts, if any) and mounts /healthz, /metrics and the event hook. */
export async function startServices(core: Core, server: HttpServer, opts: { adapters?: RunningAdapter[]; teamAlerts?: TeamAlerts; reminders?: RemindersOptions } = {}): Promise<RunningReminders> {
  const { reminderOffsets, defaultLocale, eventsSecret } = core.config;
  const reminders = await startReminders({ ...core, reminderOffsets, defaultLocale, teamAlerts: opts.teamAlerts }, opts.reminders);
  mountHttpRoutes(server, { ...core, eventsSecret, components: () => [...(opts.adapters ?? []), reminders] });
  return reminders;
}
