/**
 * The run form as last used, and the implementation folders used lately: a small JSON file in the data folder
 * (lowdb), or an in-memory twin for tests. Neither the seed nor the chaos knobs are remembered: a new launch starts
 * from a plain run of the course's tests. The Grading page's form is kept beside it (its seed too: a grade's seed is
 * one of its settings; not its chaos knobs), with the grade and submissions folders used lately.
 */
import os from 'node:os';
import { LowSync, MemorySync } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';
import type { GradeForm, GradeFormMemory, RunSettings, SavedSettings } from '../../shared/ipc.ts';

export interface SettingsFile {
  version: 1;
  run: SavedSettings;
  /** The Grading page: its form as last used (chaos knobs not kept), and the folders used lately. */
  grade?: { form?: Omit<GradeForm, 'chaos'>; recentGrades?: string[]; recentSubmissions?: string[] };
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
    this.#db.data = { ...this.#db.data, version: 1, run: { ...rest, ...(recentFolders.length ? { recentFolders } : {}) } };
    this.#write();
  }

  /** The grade form as last used, and the folders used lately (only strings: the file may have been edited). */
  gradeMemory(): Omit<GradeFormMemory, 'defaultParallel'> {
    const g = this.#db.data.grade;
    const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((f): f is string => typeof f === 'string') : []);
    return { ...(g?.form && typeof g.form === 'object' ? { form: g.form } : {}), recentGrades: strings(g?.recentGrades), recentSubmissions: strings(g?.recentSubmissions) };
  }

  /** Remember a grade form (when one was started) and the folders it used or opened, newest first. */
  rememberGrade(remember: { form?: GradeForm; grade?: string; submissions?: string }): void {
    const before = this.gradeMemory();
    const front = (list: string[], folder: string | undefined): string[] => (folder ? [folder, ...list.filter((f) => f !== folder)] : list).slice(0, RECENT_FOLDERS_MAX);
    let form = before.form;
    if (remember.form) {
      const { chaos: _chaos, ...rest } = remember.form;
      form = rest;
    }
    this.#db.data = {
      ...this.#db.data,
      grade: { ...(form ? { form } : {}), recentGrades: front(before.recentGrades, remember.grade), recentSubmissions: front(before.recentSubmissions, remember.submissions) },
    };
    this.#write();
  }

  #write(): void {
    try {
      this.#db.write();
    } catch (error) {
      console.error(`raftlab: could not save the settings: ${(error as Error).message}`);
    }
  }
}
