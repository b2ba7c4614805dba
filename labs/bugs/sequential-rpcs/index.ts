/**
 * Planted bug: RPCs to the peers are sent one after another, each awaited before the next.
 *
 * A call to a disconnected or crashed peer takes up to 7 seconds to fail in the lab's network, so one unreachable
 * peer holds up every vote request and heartbeat behind it. Elections and heartbeats stall, followers time out, and
 * agreement takes too long: the 2B tests that disconnect servers fail to reach agreement in time.
 */
import type { MakeRaft } from '../../api/index.ts';
import type { BugAbout } from '../about.ts';
import { Raft } from '../../raft/index.ts';
import type { Election } from '../../raft/election.ts';
import type { RequestVoteArgs } from '../../raft/types.ts';

class OneRpcAtATime extends Raft {
  protected override requestVotes(args: RequestVoteArgs, election: Election): void {
    void (async () => {
      for (const peer of this.others) await this.requestVote(peer, args, election);
    })();
  }

  protected override broadcastHeartbeat(): void {
    void (async () => {
      for (const peer of this.others) await this.replicateOnce(peer);
    })();
  }
}

export const about: BugAbout = {
  title: 'Awaiting RPCs one after another',
  explanation:
    'Vote requests and heartbeats go out one at a time, each awaited before the next. A call to an unreachable peer can take 7 s to fail, so everything behind it waits.',
  catch: { tests: '2B', seeds: 2 },
};

export const make: MakeRaft = (...args) => new OneRpcAtATime(...args);

/** The reference's persisted format, unchanged by this bug: the checker reads it the same way. */
export { describeState } from '../../raft/index.ts';
