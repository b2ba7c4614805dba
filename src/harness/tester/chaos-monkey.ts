/**
 * The chaos knobs crashesPerMinute and partitionsPerMinute (src/harness/chaos.ts), as a monkey that drives a Config
 * through the course's own operations (crash1, start1, connect, disconnect) while a test runs. The network and
 * timer knobs are not here: they are applied where the network and each node's clock are made.
 */
import type { ChaosKnobs } from '../chaos.ts';
import type { Runtime } from '../runtime/index.ts';
import type { Config } from './config.ts';

/** A disconnected server is reconnected this long after the partition began, at random. */
const healMinMs = 500;
const healSpreadMs = 1500;

export class ChaosMonkey {
  readonly #cfg: Config;
  readonly #runtime: Runtime;
  readonly #knobs: ChaosKnobs;
  #stopped = false;

  constructor(cfg: Config, runtime: Runtime, knobs: ChaosKnobs | undefined) {
    this.#cfg = cfg;
    this.#runtime = runtime;
    this.#knobs = knobs ?? {};
  }

  /** Start the fault loops of the knobs that are on; with none on, nothing happens, ever. */
  start(): this {
    const { crashesPerMinute, partitionsPerMinute } = this.#knobs;
    const fail = (error: unknown): void => this.#runtime.fail(error);
    if (crashesPerMinute) void this.#loop(crashesPerMinute, (i) => this.#reboot(i)).catch(fail);
    if (partitionsPerMinute) void this.#loop(partitionsPerMinute, (i) => this.#partition(i)).catch(fail);
    return this;
  }

  /** No fault after this (the test is over: Config.cleanup). */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * At random moments (a Poisson process on the test's clock), act on a random server; an act may return how to
   * undo it, done 0.5..2 s later unless the monkey has stopped meanwhile.
   */
  async #loop(perMinute: number, act: (i: number) => (() => void) | undefined): Promise<void> {
    const rt = this.#runtime;
    const rng = rt.stream('chaos-faults');
    while (!this.#stopped) {
      await rt.sleep(Math.ceil((-Math.log(1 - rng.float()) * 60_000) / perMinute));
      if (this.#stopped) return;
      const undo = act(rng.intn(this.#cfg.n));
      if (!undo) continue;
      await rt.sleep(healMinMs + rng.intn(healSpreadMs + 1));
      if (!this.#stopped) undo();
    }
  }

  /**
   * A reboot: crash and restart from the persisted state at once, as start1() on a live server does
   * (TestPersist12C). The server is never missing, so tests that do not expect a crash still run, and a forgotten
   * vote or log entry meets the requests that follow within milliseconds.
   */
  #reboot(i: number): undefined {
    const cfg = this.#cfg;
    if (!cfg.rafts[i]) return undefined;
    const wasConnected = cfg.connected[i];
    cfg.crash1(i);
    cfg.start1(i);
    if (wasConnected) cfg.connect(i);
    return undefined;
  }

  /** Cut server i off; heal it later unless the test has meanwhile done something to that server itself. */
  #partition(i: number): (() => void) | undefined {
    const cfg = this.#cfg;
    if (!cfg.connected[i] || !cfg.rafts[i]) return undefined;
    cfg.disconnect(i);
    const raft = cfg.rafts[i];
    return () => {
      if (!cfg.connected[i] && cfg.rafts[i] === raft) cfg.connect(i);
    };
  }
}
