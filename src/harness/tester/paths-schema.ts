/**
 * A run's path counts (paths.ts) as a zod schema, for what comes back from files (history) and for the published
 * report schema. Apart from paths.ts so that a run process counting paths does not load zod.
 */
import * as z from 'zod';
import type { PathCounts } from './paths.ts';

const count = (what: string) => z.number().int().nonnegative().describe(what);

export const pathCountsSchema = z
  .strictObject({
    electionsStarted: count('Elections started: distinct (candidate, term) among the RequestVote RPCs sent.'),
    appendEntriesRejected: z
      .strictObject({
        staleTerm: count("Replies whose term was newer than the request's."),
        logMismatch: count("The others: the follower's log did not match at prevLogIndex."),
      })
      .describe('AppendEntries replies with success false, by reason.'),
    installSnapshotSent: count('InstallSnapshot RPCs sent.'),
    snapshotsInstalled: count('Snapshots delivered on applyCh that CondInstallSnapshot accepted.'),
    snapshotsTaken: count("Snapshots the tester asked a node to take (config.go's applierSnap)."),
  })
  .describe("What the run exercised, by the lab's RPC names (Raft.RequestVote, Raft.AppendEntries, Raft.InstallSnapshot).") satisfies z.ZodType<PathCounts>;
