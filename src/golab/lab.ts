/**
 * A Go lab: the `src/raft` folder of a 6.824 checkout — the student's raft.go beside the course's config.go and
 * test_test.go, with ../labrpc, ../labgob and the module's ../go.mod. Recognising one, and its source snapshot: every
 * .go file of the raft package and of the module's packages it imports (labrpc, labgob, …), with go.mod (and go.sum),
 * the same snapshot a TypeScript implementation has, so a Go run's trace and bundle carry the code that ran.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ImplLoadError, entryNames, sourcesMaxBytes } from '../harness/loader/build.ts';
import { sha256, snapshotHash, sourcesFormat, type SourceFile, type SourceSnapshot } from '../harness/loader/snapshot.ts';

export interface GoLab {
  /** The raft package's folder, absolute, as named. */
  packageDir: string;
  /** The module's folder (the one with go.mod: the checkout's src/). */
  moduleDir: string;
  /** go.mod's module path (`6.824`). */
  modulePath: string;
}

/** What a 6.824 raft folder holds, relative to it; each missing one is named in the error. */
export const goLabLayout = ['raft.go', 'config.go', 'test_test.go', '../labrpc/', '../labgob/', '../go.mod'] as const;

/** The tester's own files in the raft folder (config.go, *_test.go): not the student's. */
export const isTesterFile = (name: string): boolean => name === 'config.go' || name.endsWith('_test.go');

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Whether a folder is meant as a Go lab: it holds .go files and no TypeScript entry (index.ts and the like). Cheap:
 * one directory listing. Whether it is a usable one is inspectGoLab's to say.
 */
export function looksLikeGoLab(dir: string): boolean {
  const names = listDir(dir);
  return names.some((n) => n.endsWith('.go')) && !names.some((n) => (entryNames as readonly string[]).includes(n));
}

/** The module path of a go.mod, or undefined when it has no module line. */
export function modulePathOf(goMod: string): string | undefined {
  const m = /^\s*module\s+("?)([^\s"]+)\1\s*$/m.exec(goMod);
  return m?.[2];
}

/** Check a folder is a 6.824 raft folder; throws ImplLoadError (GO_NOT_A_LAB) naming everything missing. */
export function inspectGoLab(dir: string): GoLab {
  const packageDir = path.resolve(dir);
  let info;
  try {
    info = statSync(packageDir);
  } catch {
    throw new ImplLoadError('IMPL_NOT_FOUND', `implementation folder ${packageDir} does not exist`);
  }
  if (!info.isDirectory()) throw new ImplLoadError('IMPL_NOT_FOUND', `${packageDir} is not a folder`);
  const missing = goLabLayout.filter((item) => {
    const full = path.resolve(packageDir, item);
    try {
      return item.endsWith('/') ? !statSync(full).isDirectory() : !statSync(full).isFile();
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new ImplLoadError(
      'GO_NOT_A_LAB',
      `${packageDir} is not the raft folder of a 6.824 checkout: no ${missing.join(', no ')} (a Go lab is the checkout's src/raft: raft.go beside the course's config.go and test_test.go, with ../labrpc, ../labgob and ../go.mod)`,
    );
  }
  const moduleDir = path.dirname(packageDir);
  const modulePath = modulePathOf(readFileSync(path.join(moduleDir, 'go.mod'), 'utf8'));
  if (!modulePath) throw new ImplLoadError('GO_NOT_A_LAB', `${path.join(moduleDir, 'go.mod')} has no module line`);
  return { packageDir, moduleDir, modulePath };
}

/** The import paths of a Go file (single imports and import blocks; comments and strings elsewhere ignored). */
export function goImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*import\s*\(([\s\S]*?)\)/gm)) {
    for (const line of m[1]!.matchAll(/(?:^|\n)\s*(?:[\w.]+\s+)?"([^"]+)"/g)) out.push(line[1]!);
  }
  for (const m of code.matchAll(/^\s*import\s+(?:[\w.]+\s+)?"([^"]+)"/gm)) out.push(m[1]!);
  return out;
}

const posix = (p: string): string => p.split(path.sep).join('/');

/**
 * The lab's sources: the .go files of the raft package and of every package of the module it imports, directly or
 * not, with go.mod and go.sum. Their hash names the build.
 */
export function goSnapshot(lab: GoLab): SourceSnapshot {
  const files: SourceFile[] = [];
  let total = 0;
  const add = (file: string): string => {
    const text = readFileSync(file, 'utf8');
    total += text.length;
    if (total > sourcesMaxBytes) {
      throw new ImplLoadError('IMPL_TOO_LARGE', `the Go sources of ${lab.packageDir} pass ${sourcesMaxBytes / 1024 / 1024} MB`);
    }
    files.push({ path: posix(path.relative(lab.moduleDir, file)), sha256: sha256(text), text });
    return text;
  };
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    for (const name of listDir(dir).sort()) {
      if (!name.endsWith('.go') || !statSync(path.join(dir, name)).isFile()) continue;
      for (const imported of goImports(add(path.join(dir, name)))) {
        if (!imported.startsWith(lab.modulePath + '/')) continue;
        const sub = path.join(lab.moduleDir, ...imported.slice(lab.modulePath.length + 1).split('/'));
        if (existsSync(sub)) visit(sub);
      }
    }
  };
  visit(lab.packageDir);
  for (const name of ['go.mod', 'go.sum']) if (existsSync(path.join(lab.moduleDir, name))) add(path.join(lab.moduleDir, name));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const implDir = posix(path.relative(lab.moduleDir, lab.packageDir));
  const entry = `${implDir}/raft.go`;
  return { format: sourcesFormat, implDir, entry, files, packages: [], hash: snapshotHash(files, entry, implDir) };
}

/** The graded tests the package defines (`func TestX(t *testing.T)` in its _test.go files), read, never run. */
export function goTestNames(lab: GoLab): string[] {
  const names = new Set<string>();
  for (const name of listDir(lab.packageDir).sort()) {
    if (!name.endsWith('_test.go')) continue;
    const text = readFileSync(path.join(lab.packageDir, name), 'utf8');
    for (const m of text.matchAll(/^func\s+(Test[A-Z0-9_]\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)/gm)) names.add(m[1]!);
  }
  return [...names];
}

/** The folders a traceback may name the package by: as given, and with symbolic links resolved. */
export function packageDirAliases(lab: GoLab): { packageDirs: string[]; moduleDirs: string[] } {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return {
    packageDirs: [...new Set([lab.packageDir, real(lab.packageDir)])],
    moduleDirs: [...new Set([lab.moduleDir, real(lab.moduleDir)])],
  };
}
