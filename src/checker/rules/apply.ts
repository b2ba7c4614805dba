/**
 * What servers hand their service: State Machine Safety and Apply order.
 *
 * State Machine Safety.
 *   Reads: the tester's `apply` events (index and command, as the trace keeps the command).
 *   Why a correct Raft never fires it: every server applies only committed entries, and an index holds one committed
 *   entry. A command kept small by the trace compares equal to itself, so only two different commands can differ.
 *
 * Apply order.
 *   Reads: each server's `apply` events and installed snapshots (`apply-snapshot` with installed), per incarnation.
 *   Why: Figure 2 applies log[lastApplied + 1] each time, once each. A new incarnation applies from wherever its saved
 *   snapshot ends, so its first apply may be anywhere; after that, each apply follows the one before, and after an
 *   installed snapshot the next is the one after it. In both of the 2021 lab's flows (condInstallSnapshot deciding,
 *   or the InstallSnapshot handler switching and condInstallSnapshot saying yes) a correct Raft hands over no snapshot
 *   behind what it has applied: the tester would apply those entries again. Entries at or below the applier's last
 *   index are dropped by the tester before they are traced, so a Raft that re-sends them is not judged on them.
 *   A crashed incarnation's applier may still take a message its Raft was sending when it crashed, after the restart
 *   (Go's and raftlab's schedulers both allow it): the event says its incarnation, and only the current one's count.
 */
import type { Facts } from '../facts.ts';
import type { Findings } from '../findings.ts';
import { same } from '../messages.ts';
import type { Rule } from './rule.ts';

export function stateMachineSafety(_facts: Facts, out: Findings): Rule {
  const applied = new Map<number, { node: number; command: unknown; index: number }>();
  return {
    on(e, i) {
      if (e.kind !== 'apply') return;
      const first = applied.get(e.index);
      if (!first) applied.set(e.index, { node: e.node, command: e.command, index: i });
      else if (!same(first.command, e.command)) {
        out.report({
          invariant: 'state-machine-safety',
          message: `server ${e.node} applied ${JSON.stringify(e.command)} at index ${e.index}, where server ${first.node} applied ${JSON.stringify(first.command)}`,
          eventIndex: i,
          context: [first.index],
        });
      }
    },
  };
}

export function applyOrder(facts: Facts, out: Findings): Rule {
  const lastApplied = new Map<number, { index: number; eventIndex: number }>();
  return {
    on(e, i) {
      if (e.kind === 'restart') lastApplied.delete(e.node);
      // A crashed incarnation's applier may still take what its Raft was handing over when it crashed: that is its
      // own order, not the new incarnation's (traces before schema 4 do not say, and are read as the current one's).
      if ((e.kind === 'apply' || e.kind === 'apply-snapshot') && e.generation !== undefined && e.generation !== facts.generation(e.node)) return;
      if (e.kind === 'apply-snapshot' && e.installed) {
        const last = lastApplied.get(e.node);
        if (last && e.index < last.index) {
          out.report({
            invariant: 'apply-order',
            message: `server ${e.node} installed a snapshot through index ${e.index} after applying through index ${last.index}: the service went back in time`,
            eventIndex: i,
            context: [last.eventIndex],
          });
        }
        lastApplied.set(e.node, { index: e.index, eventIndex: i });
      }
      if (e.kind !== 'apply') return;
      const last = lastApplied.get(e.node);
      if (last && e.index !== last.index + 1) {
        const expected = last.index + 1;
        out.report({
          invariant: 'apply-order',
          message:
            e.index < expected
              ? `server ${e.node} applied index ${e.index} again (or out of order) after index ${last.index}`
              : `server ${e.node} applied index ${e.index} after index ${last.index}, skipping ${expected}${e.index - expected > 1 ? `..${e.index - 1}` : ''}`,
          eventIndex: i,
          context: [last.eventIndex],
        });
      }
      if (!last || e.index > last.index) lastApplied.set(e.node, { index: e.index, eventIndex: i });
    },
  };
}
