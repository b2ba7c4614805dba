/**
 * What the simulated network reports about every RPC, as plain data, for traces. One RPC yields a `send`, then
 * either a `drop` (it never reached a handler) or a `deliver`, a `handled` when the handler returned (not when it
 * threw, nor while it still runs as the server dies), and a `reply` or a `reply-lost`.
 */

export type ServerName = string | number;

import type { DropReason, ReplyLostReason } from '../../trace/schema.ts';

export type { DropReason, ReplyLostReason };

interface RpcEventBase {
  /** Run-relative time of the event, in ms (virtual in sim mode). */
  readonly atMs: number;
  /** Identifies the RPC across its events, unique per network. */
  readonly rpcId: number;
  readonly endName: string;
}

export type NetEvent =
  | (RpcEventBase & {
      readonly type: 'send';
      readonly method: string;
      /** The server name the end is connected to when the call is made, if any. */
      readonly serverName: ServerName | undefined;
      readonly bytes: number;
      /** Encoded arguments; shared, never mutated. */
      readonly payload: Uint8Array;
    })
  | (RpcEventBase & {
      readonly type: 'drop';
      readonly reason: DropReason;
    })
  | (RpcEventBase & {
      readonly type: 'deliver';
      readonly serverName: ServerName;
      readonly method: string;
    })
  | (RpcEventBase & {
      readonly type: 'handled';
      readonly serverName: ServerName;
      /** The encoded reply's size. */
      readonly bytes: number;
    })
  | (RpcEventBase & {
      readonly type: 'reply';
      readonly bytes: number;
      /** Set when long reordering held the reply back. */
      readonly delayedMs: number | undefined;
      /** Encoded reply; shared, never mutated. */
      readonly payload: Uint8Array;
    })
  | (RpcEventBase & {
      readonly type: 'reply-lost';
      readonly reason: ReplyLostReason;
    });

export type NetEventType = NetEvent['type'];

export type NetObserver = (event: NetEvent) => void;
