/**
 * The run form as last used, and the implementation folders used lately: a small JSON file in the data folder
 * (lowdb), or an in-memory twin for tests. Neither the seed nor the chaos knobs are remembered: a new launch starts
 * from a plain run of the course's tests.
 */
import os from 'node:os';
import { LowSync, MemorySync } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';
import type { RunSettings, SavedSettings } from '../../shared/ipc.ts';

export interface SettingsFile {
  version: 1;
  run: SavedSettings;
}

/** How many recently used folders the form offers. */
export const RECENT_FOLDERS_MAX = 8;

export const defaultSettings = (): SavedSettings => ({
  tests: [],
  count: 10,
  parallel: Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
  mode: 'sim',
  impl: 'reference',
  stopOnFail: false,
});

export class SettingsService {
  readonly #db: LowSync<SettingsFile>;

  /** `file`: the settings file (the data folder's settings.json); none keeps them in memory only. */
  constructor(file?: string) {
    const initial: SettingsFile = { version: 1, run: defaultSettings() };
    this.#db = new LowSync<SettingsFile>(file ? new JSONFileSync<SettingsFile>(file) : new MemorySync<SettingsFile>(), initial);
    try {
      this.#db.read();
      if (this.#db.data?.version !== 1 || typeof this.#db.data.run !== 'object' || this.#db.data.run === null) throw new Error('bad settings');
    } catch {
      this.#db.data = initial;
    }
  }

  get(): SavedSettings {
    return { ...defaultSettings(), ...this.#db.data.run };
  }

  /**
   * Remember what a batch was started with, and the folder it ran when it was one the user named (a write that
   * fails is reported, not thrown: the batch still runs).
   */
  remember(settings: RunSettings, folder?: string): void {
    const { seed: _seed, chaos: _chaos, ...rest } = settings;
    const earlier = (this.#db.data.run.recentFolders ?? []).filter((f) => typeof f === 'string' && f !== folder);
    const recentFolders = folder ? [folder, ...earlier].slice(0, RECENT_FOLDERS_MAX) : earlier;
    this.#db.data = { version: 1, run: { ...rest, ...(recentFolders.length ? { recentFolders } : {}) } };
    try {
      this.#db.write();
    } catch (error) {
      console.error(`raftlab: could not save the settings: ${(error as Error).message}`);
    }
  }
}
