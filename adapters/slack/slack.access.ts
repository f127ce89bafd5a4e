/** Who may use the team view: one workspace, and optionally an allow-list of users and/or one user group. */
import type { Clock } from '../../src/clock.js';
import type { Logger } from '../../src/log.js';

/** The Web API calls access control needs (a subset of Bolt's WebClient). */
export interface AccessApi {
  authTeamId(): Promise<string | undefined>;
  usergroupUsers(usergroup: string): Promise<string[]>;
}

/** The access settings (config.slack). */
export interface AccessConfig {
  teamId?: string;
  allowedUsers: string[];
  allowedUsergroup?: string;
}

/** How long a user group's members are trusted before they are read again. */
export const USERGROUP_TTL_MS = 5 * 60_000;

/**
 * Decides whether a Slack user may use the app. The workspace is `SLACK_TEAM_ID`, or else the one
 * the bot token belongs to (auth.test, asked once, on first need). With neither an allow-list nor
 * a group configured, everyone in the workspace may use it. Every failure denies.
 */
export class SlackAccess {
  private team?: Promise<string | undefined>;
  private group?: { at: number; members: Promise<Set<string>> };

  constructor(
    private readonly config: AccessConfig,
    private readonly api: AccessApi,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Whether this user of this workspace may use the app. */
  async isAllowed(teamId: string | undefined, userId: string | undefined): Promise<boolean> {
    if (!teamId || !userId) return false;
    if (teamId !== (await this.workspace())) return false;
    const { allowedUsers, allowedUsergroup } = this.config;
    if (allowedUsers.length === 0 && !allowedUsergroup) return true;
    if (allowedUsers.includes(userId)) return true;
    return allowedUsergroup ? (await this.groupMembers(allowedUsergroup)).has(userId) : false;
  }

  private async workspace(): Promise<string | undefined> {
    if (this.config.teamId) return this.config.teamId;
    this.team ??= this.api.authTeamId().catch((error: unknown) => {
      this.logger.warn('slack: auth.test failed; denying until it works', { error });
      this.team = undefined;
      return undefined;
    });
    return this.team;
  }

  private async groupMembers(usergroup: string): Promise<Set<string>> {
    const now = this.clock.now().valueOf();
    if (!this.group || now - this.group.at >= USERGROUP_TTL_MS) {
      const entry = {
        at: now,
        members: this.api.usergroupUsers(usergroup).then(
          (users) => new Set(users),
          (error: unknown) => {
            this.logger.warn('slack: usergroups.users.list failed; denying group members until it works', { usergroup, error });
            if (this.group === entry) this.group = undefined;
            return new Set<string>();
          },
        ),
      };
      this.group = entry;
    }
    return this.group.members;
  }
}
