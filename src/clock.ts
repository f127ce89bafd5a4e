/** The Clock port: every flow and scheduler takes time from here, never from the wall directly. */
import { dayjs, type Dayjs } from './time.js';

/** A source of the current instant. */
export interface Clock {
  now(): Dayjs;
}

/** The system clock. */
export const systemClock: Clock = { now: () => dayjs() };

/** A clock that moves only when told to, for tests. */
export class FakeClock implements Clock {
  private at: number;

  constructor(start: string | number | Dayjs) {
    this.at = dayjs(start as string).valueOf();
  }

  now(): Dayjs {
    return dayjs(this.at);
  }

  /** Moves the clock forward by a duration in milliseconds. */
  advance(ms: number): void {
    this.at += ms;
  }

  /** Sets the clock to an instant. */
  set(at: string | number | Dayjs): void {
    this.at = dayjs(at as string).valueOf();
  }
}
