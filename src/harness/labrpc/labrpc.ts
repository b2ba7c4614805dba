/**
 * The course's simulated network (labrpc), ported. Calls go from a ClientEnd through the Network to a Server
 * hosting Services. The network can be unreliable (delays, lost requests and replies), can hold replies back
 * for a long time (long reordering), and fails calls to disabled ends or deleted servers after a delay, short or
 * long. Arguments and replies cross it as codec bytes, so peers never share objects and byte counts are real.
 * Every step is reported to an observer for traces.
 */
import { Codec } from '../codec/index.ts';
import type { ChaosKnobs } from '../chaos.ts';
import type { ReadyKind, Rng, Runtime } from '../runtime/index.ts';
import type { DropReason, NetEvent, NetObserver, ReplyLostReason, ServerName } from './events.ts';
import { messageOf } from '../thrown.ts';

/** What a call resolves to. A network failure is `{ ok: false }`, never an exception, as in the original. */
export type RpcResult<Reply> = { readonly ok: true; readonly reply: Reply } | { readonly ok: false };

export type RpcErrorCode =
  | 'RPC_UNKNOWN_SERVICE'
  | 'RPC_UNKNOWN_METHOD'
  | 'RPC_BAD_METHOD_NAME'
  | 'RPC_HANDLER_THREW'
  | 'RPC_DUPLICATE_END'
  | 'RPC_UNKNOWN_END'
  | 'RPC_NO_SUCH_SERVER'
  | 'RPC_DUPLICATE_SERVICE'
  | 'RPC_BAD_METHOD_LIST';

/** A programming error around the network (the original calls log.Fatal for these). */
export class RpcError extends Error {
  readonly code: RpcErrorCode;
  constructor(code: RpcErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RpcError';
    this.code = code;
  }
}

/** The timing and probabilities of the original labrpc, named with their unit last. */
export const labrpcTiming = {
  /** Unreliable: each request first waits a uniform 0..26 ms. */
  unreliableRequestDelayMaxMs: 27,
  /** Unreliable: a request (and, separately, a reply) is lost with probability 100/1000. */
  unreliableDropPerMille: 100,
  /** Long reordering: a reply is held back with probability 600/900. */
  reorderChanceOutOf900: 600,
  /** ...for 200 + intn(1 + intn(2000)) ms: 200..2199 ms, skewed low. */
  reorderBaseMs: 200,
  reorderSpreadMs: 2000,
  /** A call to a disabled end or a missing server fails after intn(7000) ms with long delays on... */
  longDelayMaxMs: 7000,
  /** ...or intn(100) ms otherwise. */
  shortDelayMaxMs: 100,
  /** While a handler runs, check every 100 ms whether its server has died. */
  deadCheckIntervalMs: 100,
} as const;

export type Handler = (args: never) => unknown;

/** A named set of RPC handlers, e.g. `Raft` with `RequestVote` and `AppendEntries`. */
export class Service {
  readonly name: string;
  readonly #methods: ReadonlyMap<string, Handler>;

  constructor(name: string, handlers: Readonly<Record<string, Handler>>) {
    if (!name || name.includes('.')) throw new RangeError(`a service name must be non-empty and have no '.', got '${name}'`);
    this.name = name;
    this.#methods = new Map(Object.entries(handlers).filter(([, fn]) => typeof fn === 'function'));
  }

  get methodNames(): string[] {
    return [...this.#methods.keys()];
  }

  handler(method: string): Handler | undefined {
    return this.#methods.get(method);
  }
}

/**
 * A service from an object's RPC methods: the ones its `rpcMethods` list names, or without that list every method
 * whose name begins with an upper-case letter (own or inherited), as Go's MakeService registers a receiver's
 * exported methods. So a Raft object's `RequestVote` and `AppendEntries` are RPCs while `start` and `getState` are
 * not. Methods are bound to the object. A name the list gives that is no method of the object is an error.
 */
export function makeService(name: string, receiver: object): Service {
  const handlers: Record<string, Handler> = {};
  const declared = (receiver as { rpcMethods?: unknown }).rpcMethods;
  if (declared !== undefined) {
    if (!Array.isArray(declared) || !declared.every((m) => typeof m === 'string' && m !== '' && !m.includes('.'))) {
      throw new RpcError('RPC_BAD_METHOD_LIST', `rpcMethods must be a list of method names, e.g. ['RequestVote', 'AppendEntries'], got ${describe(declared)}`);
    }
    for (const key of declared as string[]) {
      const fn = (receiver as Record<string, unknown>)[key];
      if (typeof fn !== 'function') throw new RpcError('RPC_BAD_METHOD_LIST', `rpcMethods names '${key}', but the node has no method ${key}`);
      handlers[key] = (fn as Handler).bind(receiver);
    }
    return new Service(name, handlers);
  }
  for (let proto = receiver; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const fn = (receiver as Record<string, unknown>)[key];
      if (/^[A-Z]/.test(key) && typeof fn === 'function' && !(key in handlers)) handlers[key] = (fn as Handler).bind(receiver);
    }
  }
  return new Service(name, handlers);
}

/** One peer's RPC endpoint: its services, and the count of requests that reached it. */
export class Server {
  readonly #services = new Map<string, Service>();
  #count = 0;

  addService(service: Service): void {
    if (this.#services.has(service.name)) {
      throw new RpcError('RPC_DUPLICATE_SERVICE', `service ${service.name} is already registered on this server`);
    }
    this.#services.set(service.name, service);
  }

  /** Requests dispatched to this server object (a restarted peer gets a new Server, so this restarts at 0). */
  get count(): number {
    return this.#count;
  }

  /** Count the request and find its handler; a bad name is a bug, reported with what exists. */
  resolve(svcMeth: string): Handler {
    this.#count++;
    const dot = svcMeth.lastIndexOf('.');
    if (dot <= 0) {
      throw new RpcError('RPC_BAD_METHOD_NAME', `RPC method '${svcMeth}' must be 'Service.Method', e.g. 'Raft.RequestVote'`);
    }
    const serviceName = svcMeth.slice(0, dot);
    const methodName = svcMeth.slice(dot + 1);
    const service = this.#services.get(serviceName);
    if (!service) {
      const known = [...this.#services.keys()].join(', ') || '(none)';
      throw new RpcError('RPC_UNKNOWN_SERVICE', `labrpc: unknown service '${serviceName}' in call to '${svcMeth}'; known services: ${known}`);
    }
    const handler = service.handler(methodName);
    if (!handler) {
      const known = service.methodNames.map((m) => `${serviceName}.${m}`).join(', ') || '(none)';
      throw new RpcError('RPC_UNKNOWN_METHOD', `labrpc: unknown method '${methodName}' in service '${serviceName}'; known methods: ${known}`);
    }
    return handler;
  }
}

/** A peer's outgoing connection to one server. Disabled and unconnected until the network says otherwise. */
export class ClientEnd {
  readonly name: string;
  readonly #network: Network;

  constructor(name: string, network: Network) {
    this.name = name;
    this.#network = network;
  }

  /**
   * Call `svcMeth` ('Service.Method') with `args`. Resolves to `{ ok: true, reply }` or, if the request or its
   * reply was lost, the peer is unreachable, or the server died mid-call, to `{ ok: false }` — possibly after a
   * long delay, and possibly after the handler ran. Never rejects for a network failure.
   */
  call<Reply = unknown>(svcMeth: string, args: unknown): Promise<RpcResult<Reply>> {
    return this.#network.send(this, svcMeth, args) as Promise<RpcResult<Reply>>;
  }
}

/**
 * Told of each RPC as it is handed to the network, with the caller's arguments as they are then; what it returns, if
 * anything, is told the decoded reply when one comes back. For counts of what a run exercised (tester/paths.ts).
 */
export type CallObserver = (endName: string, svcMeth: string, args: unknown) => ((reply: unknown) => void) | undefined;

export interface NetworkOptions {
  codec?: Codec;
  observer?: NetObserver;
  /** Harsher conditions than labrpc's own (drop, delay, reorder); off by default. */
  chaos?: ChaosKnobs;
}

const failed: RpcResult<never> = Object.freeze({ ok: false });

export class Network {
  readonly runtime: Runtime;
  readonly codec: Codec;
  #reliable = true;
  #longDelays = false;
  #longReordering = false;
  #closed = false;
  readonly #ends = new Map<string, ClientEnd>();
  readonly #enabled = new Map<string, boolean>();
  readonly #connections = new Map<string, ServerName>();
  readonly #servers = new Map<ServerName, Server | undefined>();
  #totalCount = 0;
  #totalBytes = 0;
  #nextRpcId = 1;
  readonly #observers: NetObserver[] = [];
  /** The network's own random stream: its choices never shift the tester's or a node's. */
  readonly #rng: Rng;
  readonly #chaos: ChaosKnobs;
  /** Chaos draws from its own stream, so turning it on never shifts labrpc's own choices. */
  readonly #chaosRng: Rng;
  readonly #callObservers: CallObserver[] = [];

  constructor(runtime: Runtime, options: NetworkOptions = {}) {
    this.runtime = runtime;
    this.codec = options.codec ?? new Codec();
    this.#rng = runtime.stream('labrpc');
    this.#chaos = options.chaos ?? {};
    this.#chaosRng = runtime.stream('chaos-network');
    if (options.observer) this.#observers.push(options.observer);
  }

  /** Report every network event to `observer`; returns a function that stops it. */
  observe(observer: NetObserver): () => void {
    this.#observers.push(observer);
    return () => {
      const i = this.#observers.indexOf(observer);
      if (i >= 0) this.#observers.splice(i, 1);
    };
  }

  /** Tell `observer` of every RPC handed to the network, and of its decoded reply if it asks (CallObserver). */
  observeCalls(observer: CallObserver): void {
    this.#callObservers.push(observer);
  }

  reliable(yes: boolean): void {
    this.#reliable = yes;
  }
  longReordering(yes: boolean): void {
    this.#longReordering = yes;
  }
  longDelays(yes: boolean): void {
    this.#longDelays = yes;
  }

  /** Stop the network: calls made from now on fail at once and are not counted. */
  cleanup(): void {
    this.#closed = true;
  }

  /** A new end, disabled and unconnected. A name may be used once. */
  makeEnd(name: string): ClientEnd {
    if (this.#ends.has(name)) throw new RpcError('RPC_DUPLICATE_END', `labrpc: MakeEnd: ${name} already exists`);
    const end = new ClientEnd(name, this);
    this.#ends.set(name, end);
    this.#enabled.set(name, false);
    return end;
  }

  addServer(serverName: ServerName, server: Server): void {
    this.#servers.set(serverName, server);
  }

  /** The name stays, with no server: calls to it fail after a delay; calls in its handlers lose their replies. */
  deleteServer(serverName: ServerName): void {
    this.#servers.set(serverName, undefined);
  }

  connect(endName: string, serverName: ServerName): void {
    this.#requireEnd(endName);
    this.#connections.set(endName, serverName);
  }

  enable(endName: string, enabled: boolean): void {
    this.#requireEnd(endName);
    this.#enabled.set(endName, enabled);
  }

  /** Requests dispatched to the server currently registered under the name. */
  getCount(serverName: ServerName): number {
    const server = this.#servers.get(serverName);
    if (!server) throw new RpcError('RPC_NO_SUCH_SERVER', `labrpc: GetCount: no server is registered under ${String(serverName)}`);
    return server.count;
  }

  /** Every request handed to the network, including lost ones and ones to dead peers. */
  getTotalCount(): number {
    return this.#totalCount;
  }

  /** Request bytes when sent, plus reply bytes when (and only if) delivered. */
  getTotalBytes(): number {
    return this.#totalBytes;
  }

  #requireEnd(endName: string): void {
    if (!this.#ends.has(endName)) throw new RpcError('RPC_UNKNOWN_END', `labrpc: no end named ${endName}`);
  }

  #emit(event: NetEvent): void {
    for (const observer of this.#observers) observer(event);
  }

  /** Whether anyone watches the network's events: an untraced run has no observer, and builds no event. */
  get #observed(): boolean {
    return this.#observers.length !== 0;
  }

  /** Called by ClientEnd.call. Encodes the arguments now, so later changes by the caller do not travel. */
  async send(end: ClientEnd, svcMeth: string, args: unknown): Promise<RpcResult<unknown>> {
    const payload = this.codec.encode(args, `${svcMeth} args`);
    if (this.#closed) return failed;
    const rpcId = this.#nextRpcId++;
    this.#totalCount++;
    this.#totalBytes += payload.length;
    if (this.#observed) this.#emit({
      type: 'send',
      atMs: this.runtime.now(),
      rpcId,
      endName: end.name,
      method: svcMeth,
      serverName: this.#connections.get(end.name),
      bytes: payload.length,
      payload,
    });
    const onReply = this.#tellCall(end.name, svcMeth, args);
    // The original hands the request to another goroutine; the caller's synchronous code runs first here too.
    await null;
    return this.#process(rpcId, end.name, svcMeth, payload, onReply);
  }

  /** Tell every call observer of an RPC; what to tell of its reply, if any of them asked. */
  #tellCall(endName: string, svcMeth: string, args: unknown): ((reply: unknown) => void) | undefined {
    const observers = this.#callObservers;
    if (observers.length === 1) return observers[0]!(endName, svcMeth, args); // the run's own path counter, nearly always
    const asked = observers.map((o) => o(endName, svcMeth, args)).filter((f) => f !== undefined);
    return asked.length ? (reply) => asked.forEach((f) => f(reply)) : undefined;
  }

  async #process(rpcId: number, endName: string, svcMeth: string, payload: Uint8Array, onReply: ((reply: unknown) => void) | undefined): Promise<RpcResult<unknown>> {
    const rt = this.runtime;
    const rng = this.#rng;
    const enabled = this.#enabled.get(endName) === true;
    const serverName = this.#connections.get(endName);
    const server = serverName === undefined ? undefined : this.#servers.get(serverName);
    const reliable = this.#reliable;
    const longReordering = this.#longReordering;

    if (!enabled || serverName === undefined || !server) {
      // Simulate no reply, and an eventual timeout.
      const reason: DropReason = !enabled ? 'end-disabled' : serverName === undefined ? 'not-connected' : 'no-server';
      const delayMs = this.#longDelays ? rng.intn(labrpcTiming.longDelayMaxMs) : rng.intn(labrpcTiming.shortDelayMaxMs);
      await rt.sleep(delayMs);
      if (this.#observed) this.#emit({ type: 'drop', atMs: rt.now(), rpcId, endName, reason });
      return failed;
    }

    if (!reliable) {
      await rt.sleep(rng.intn(labrpcTiming.unreliableRequestDelayMaxMs));
      if (rng.intn(1000) < labrpcTiming.unreliableDropPerMille) {
        if (this.#observed) this.#emit({ type: 'drop', atMs: rt.now(), rpcId, endName, reason: 'request-lost' });
        return failed;
      }
    }

    const chaos = this.#chaos;
    if (chaos.delayMaxMs) await rt.sleep(this.#chaosRng.intn(Math.floor(chaos.delayMaxMs) + 1));
    if (chaos.dropRate && this.#chaosRng.float() < chaos.dropRate) {
      if (this.#observed) this.#emit({ type: 'drop', atMs: rt.now(), rpcId, endName, reason: 'chaos-drop' });
      return failed;
    }

    // The request crosses labrpc's goroutines to the handler's: the scheduler decides when it starts (sim mode).
    if (rt.interleave > 0) await handOff(rt, 'rpc-request');
    const isDead = (): boolean => this.#enabled.get(endName) !== true || this.#servers.get(serverName) !== server;
    let handlerDone = false;
    let replyPayload: Uint8Array | undefined;
    let handlerError: { error: unknown } | undefined;
    const handled = this.#dispatch(server, serverName, rpcId, endName, svcMeth, payload).then(
      (bytes) => {
        handlerDone = true;
        replyPayload = bytes;
      },
      (error: unknown) => {
        handlerDone = true;
        handlerError = { error };
      },
    );
    // Wait for the handler, but give up if the server dies meanwhile: every 100 ms, check.
    await new Promise<void>((resolve) => {
      const poll = rt.timer(() => (isDead() ? resolve() : poll.reset(labrpcTiming.deadCheckIntervalMs)));
      poll.reset(labrpcTiming.deadCheckIntervalMs);
      void handled.then(() => {
        poll.stop();
        resolve();
      });
    });

    // ...and the reply crosses them back to the caller's.
    if (rt.interleave > 0 && handlerDone) await handOff(rt, 'rpc-reply');

    if (handlerError) {
      // A bug, not a network failure: the original exits the process; here the run fails with the error.
      if (this.#observed) this.#emit({ type: 'reply-lost', atMs: rt.now(), rpcId, endName, reason: 'handler-error' });
      rt.fail(handlerError.error);
      return failed;
    }
    let lost: ReplyLostReason | undefined;
    if (!handlerDone || isDead()) lost = 'server-dead';
    else if (!reliable && rng.intn(1000) < labrpcTiming.unreliableDropPerMille) lost = 'reply-lost';
    else if (chaos.dropRate && this.#chaosRng.float() < chaos.dropRate) lost = 'chaos-drop';
    if (lost !== undefined || replyPayload === undefined) {
      if (this.#observed) this.#emit({ type: 'reply-lost', atMs: rt.now(), rpcId, endName, reason: lost ?? 'server-dead' });
      return failed;
    }
    let delayedMs: number | undefined;
    if (longReordering && rng.intn(900) < labrpcTiming.reorderChanceOutOf900) {
      delayedMs = labrpcTiming.reorderBaseMs + rng.intn(1 + rng.intn(labrpcTiming.reorderSpreadMs));
      await rt.sleep(delayedMs);
    } else if (chaos.reorderRate && this.#chaosRng.float() < chaos.reorderRate) {
      const c = this.#chaosRng;
      delayedMs = labrpcTiming.reorderBaseMs + c.intn(1 + c.intn(labrpcTiming.reorderSpreadMs));
      await rt.sleep(delayedMs);
    }
    this.#totalBytes += replyPayload.length;
    if (this.#observed) this.#emit({ type: 'reply', atMs: rt.now(), rpcId, endName, bytes: replyPayload.length, delayedMs, payload: replyPayload });
    const reply = this.codec.decode(replyPayload);
    onReply?.(reply);
    return { ok: true, reply };
  }

  /** Run the handler on a fresh copy of the arguments and encode what it returns. */
  async #dispatch(
    server: Server,
    serverName: ServerName,
    rpcId: number,
    endName: string,
    svcMeth: string,
    payload: Uint8Array,
  ): Promise<Uint8Array> {
    if (this.#observed) this.#emit({ type: 'deliver', atMs: this.runtime.now(), rpcId, endName, serverName, method: svcMeth });
    const handler = server.resolve(svcMeth);
    const args = this.codec.decode(payload);
    let reply: unknown;
    try {
      reply = await handler(args as never);
    } catch (error) {
      throw new RpcError('RPC_HANDLER_THREW', `RPC handler ${svcMeth} on server ${String(serverName)} threw: ${describe(error)}`, {
        cause: error,
      });
    }
    // A handler that returns nothing replies null, like a Go handler that leaves its reply zero.
    const bytes = this.codec.encode(reply === undefined ? null : reply, `${svcMeth} reply`);
    // The moment the server answered (the reply may still be lost or held back on its way to the caller).
    if (this.#observed) this.#emit({ type: 'handled', atMs: this.runtime.now(), rpcId, endName, serverName, bytes: bytes.length });
    return bytes;
  }
}

/** Resolves when the scheduler runs the ready task of `kind` it is given. */
function handOff(rt: Runtime, kind: ReadyKind): Promise<void> {
  return new Promise((resolve) => rt.wake(kind, resolve));
}

function describe(error: unknown): string {
  return messageOf(error);
}
