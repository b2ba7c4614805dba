/**
 * Go stack frames, as tracebacks (panics, goroutine dumps) and race reports print them: a function line, then its
 * file:line. Each frame is the student's (a file of the raft folder other than the tester's), the tester's (config.go,
 * *_test.go), the lab's (labrpc, labgob: elsewhere in the module), or Go's own (runtime, sync, testing, reflect…).
 */
import path from 'node:path';
import type { SourceSnapshot } from '../harness/loader/snapshot.ts';
import { isTesterFile, packageDirAliases, type GoLab } from './lab.ts';

export interface GoFrame {
  /** As printed, without arguments: `6.824/raft.(*Raft).ticker`. */
  func: string;
  file?: string | undefined;
  line?: number | undefined;
}

export type FrameOwner = 'student' | 'tester' | 'lab' | 'go';

/** Where the lab's files are, and their texts (to quote the line a goroutine is stuck on). */
export class GoSourceIndex {
  readonly #packageDirs: string[];
  readonly #moduleDirs: string[];
  readonly #texts = new Map<string, string[]>();
  readonly #implDir: string;

  constructor(lab: GoLab, snapshot?: SourceSnapshot) {
    this.#implDir = snapshot?.implDir ?? path.basename(lab.packageDir);
    const aliases = packageDirAliases(lab);
    this.#packageDirs = aliases.packageDirs;
    this.#moduleDirs = aliases.moduleDirs;
    for (const file of snapshot?.files ?? []) this.#texts.set(file.path, file.text.split('\n'));
  }

  /** The file relative to the raft folder (raft.go) or, elsewhere in the module, to the module (labrpc/labrpc.go). */
  relative(file: string): { rel: string; inPackage: boolean; inModule: boolean; moduleRel?: string } {
    for (const dir of this.#packageDirs) {
      if (file.startsWith(dir + path.sep)) {
        const moduleRel = path.relative(path.dirname(dir), file).split(path.sep).join('/');
        return { rel: path.relative(dir, file).split(path.sep).join('/'), inPackage: true, inModule: true, moduleRel };
      }
    }
    for (const dir of this.#moduleDirs) {
      if (file.startsWith(dir + path.sep)) {
        const moduleRel = path.relative(dir, file).split(path.sep).join('/');
        return { rel: moduleRel, inPackage: false, inModule: true, moduleRel };
      }
    }
    return { rel: file, inPackage: false, inModule: false };
  }

  owner(frame: GoFrame): FrameOwner {
    if (!frame.file) return 'go';
    const where = this.relative(frame.file);
    if (where.inPackage && !where.rel.includes('/')) return isTesterFile(where.rel) ? 'tester' : 'student';
    return where.inModule ? 'lab' : 'go';
  }

  /** `raft.go:252`, `labrpc/labrpc.go:86`, or the absolute path for Go's own files. */
  site(frame: GoFrame): string | undefined {
    if (!frame.file) return undefined;
    return `${this.relative(frame.file).rel}:${frame.line ?? 0}`;
  }

  /** The source line of a frame in the lab's files, trimmed (comments dropped, at most 60 characters). */
  code(frame: GoFrame): string | undefined {
    if (!frame.file || frame.line === undefined) return undefined;
    const { moduleRel } = this.relative(frame.file);
    const lines = moduleRel ? this.#texts.get(moduleRel) : undefined;
    const text = lines?.[frame.line - 1]?.replace(/\/\/.*$/, '').replace(/\s+/g, ' ').trim();
    if (!text) return undefined;
    return text.length > 60 ? `${text.slice(0, 59)}…` : text;
  }

  /**
   * The function a line of the raft folder's file is in (`config.go`, 345 → `checkOneLeader`): what a TypeScript
   * failure names as its site. Undefined when the sources do not have the file.
   */
  funcAt(file: string, line: number): string | undefined {
    const lines = this.#texts.get(`${this.#implDir}/${file}`) ?? this.#texts.get(file);
    for (let i = Math.min(line, lines?.length ?? 0) - 1; lines && i >= 0; i--) {
      const m = /^func\s+(?:\([^)]*\)\s*)?(\w+)\s*\(/.exec(lines[i]!);
      if (m) return m[1];
    }
    return undefined;
  }

  /** The first frame of the student's, else the first of the lab's or the tester's, else none. */
  siteFrame(frames: readonly GoFrame[]): GoFrame | undefined {
    return frames.find((f) => this.owner(f) === 'student') ?? frames.find((f) => this.owner(f) !== 'go');
  }
}

/** A function line's name without its arguments: `sync.(*Mutex).Lock(...)` → `sync.(*Mutex).Lock`. */
export function funcName(line: string): string {
  const text = line.trim();
  if (!text.endsWith(')')) return text;
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && --depth === 0) return i > 0 ? text.slice(0, i) : text;
  }
  return text;
}

/** Without the import path: `6.824/raft.(*Raft).ticker` → `raft.(*Raft).ticker`; `sync.(*Mutex).Lock` stays. */
export function shortFunc(func: string): string {
  return func.slice(func.lastIndexOf('/') + 1);
}

const fileLine = /^(\S+\.(?:go|s)|_testmain\.go|\?):(\d+)(?:\s+\+0x[0-9a-f]+)?(?:\s+fp=.*)?$/;

/**
 * Frames from traceback lines (one function line, then its file line, indented by a tab or by spaces): what follows
 * the header of a goroutine or of a race report's access. `created by` and elided-frames lines end the frames.
 */
export function parseFrames(lines: readonly string[]): { frames: GoFrame[]; createdBy?: GoFrame } {
  const frames: GoFrame[] = [];
  let createdBy: GoFrame | undefined;
  let current: GoFrame | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('...')) continue;
    const at = fileLine.exec(line);
    if (at && current) {
      current.file = at[1];
      current.line = Number(at[2]);
      current = undefined;
      continue;
    }
    if (line.startsWith('created by ')) {
      createdBy = { func: line.slice('created by '.length).replace(/ in goroutine \d+$/, '') };
      current = createdBy;
      continue;
    }
    if (createdBy) continue;
    current = { func: funcName(line) };
    frames.push(current);
  }
  return createdBy ? { frames, createdBy } : { frames };
}
