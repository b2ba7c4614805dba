/**
 * Planted bug: the leader sends heartbeats every 10 ms instead of every 125 ms.
 *
 * The lab allows at most ten heartbeats a second. Ten times too many does not break safety, but it floods the
 * network: TestCount2B counts the RPCs of one idle second (at most 60 for three servers) and fails it.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';

class HeartbeatTooOften extends Raft {
  protected override get heartbeatIntervalMs(): number {
    return 10;
  }
}

export const about: BugAbout = {
  title: 'Heartbeats every 10 ms',
  explanation:
    'The leader heartbeats 100 times a second. The lab allows at most 10: TestCount2B counts the RPCs of one idle second and fails.',
  catch: { tests: '^TestCount2B$', seeds: 1 },
};

export const make: MakeRaft = (...args) => new HeartbeatTooOften(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';
