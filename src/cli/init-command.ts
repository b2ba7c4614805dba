/**
 * `raftlab init DIR`: a student's own Raft project, anywhere. It copies the skeleton, writes a package.json that
 * names the folder as the implementation (so `npx raftlab test 2A` inside it needs no --impl) and a tsconfig.json
 * so the editor type-checks against raftlab's API, and links this raftlab into its node_modules (what `npm install`
 * of a `file:` dependency does), so `npx raftlab` and `import type … from 'raftlab/api'` resolve with no download.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { expandPath } from '../harness/loader/index.ts';
import { raftlabRoot, raftlabVersion, skeletonImplDir } from '../harness/paths.ts';

export class InitError extends Error {
  readonly code = 'INIT_REFUSED';
}

const tsconfig = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    module: 'preserve',
    moduleResolution: 'bundler',
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    noEmit: true,
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    isolatedModules: true,
    types: [],
  },
  include: ['**/*.ts'],
  exclude: ['node_modules'],
};

/** Create the project; returns the lines to tell the student. Refuses a folder that already has files. */
export function initProject(target: string, options: { name?: string } = {}): string[] {
  const dir = expandPath(target);
  if (existsSync(dir)) {
    const present = readdirSync(dir).filter((f) => !f.startsWith('.'));
    if (present.length > 0) throw new InitError(`${dir} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): raftlab init makes a new project in an empty or new folder`);
  }
  mkdirSync(dir, { recursive: true });
  const name = (options.name ?? path.basename(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'my-raft';
  for (const file of readdirSync(skeletonImplDir).filter((f) => f.endsWith('.ts'))) {
    writeFileSync(path.join(dir, file), readFileSync(path.join(skeletonImplDir, file), 'utf8'));
  }
  const pkg = {
    name,
    version: '0.0.0',
    private: true,
    type: 'module',
    description: 'My Raft for the MIT 6.824 (Spring 2021) lab, tested with raftlab',
    raftlab: { impl: '.' },
    scripts: { test: 'raftlab test', 'test:2A': 'raftlab test 2A', 'test:2B': 'raftlab test 2B', 'test:2C': 'raftlab test 2C', 'test:2D': 'raftlab test 2D' },
    devDependencies: { raftlab: `file:${raftlabRoot}` },
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
  // What `npm install` does for a file: dependency, without needing npm or a network.
  const modules = path.join(dir, 'node_modules');
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  symlinkSync(raftlabRoot, path.join(modules, 'raftlab'), 'dir');
  symlinkSync(path.join('..', 'raftlab', 'bin', 'raftlab.js'), path.join(modules, '.bin', 'raftlab'));
  const shown = path.relative(process.cwd(), dir) || '.';
  return [
    `raftlab ${raftlabVersion}: a new Raft project in ${dir}`,
    '  raft.ts        your Raft (start here); types.ts: your RPC and log types; index.ts: make(), leave it as it is',
    "  package.json   names this folder as the implementation, and links raftlab (its API is `import type … from 'raftlab/api'`)",
    '  tsconfig.json  so your editor type-checks against the API',
    '',
    'Next:',
    `  cd ${shown.includes(' ') ? JSON.stringify(shown) : shown}`,
    '  npx raftlab test 2A          # the 2A tests on the simulated clock (add --mode real for the course\'s clock)',
  ];
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('start your own Raft project in DIR: the skeleton, package.json and tsconfig.json; then `npx raftlab test 2A` inside it')
    .argument('<dir>', 'a new (or empty) folder')
    .option('--name <name>', 'the package name (default: the folder name)')
    .action((dir: string, options: { name?: string }) => {
      try {
        for (const line of initProject(dir, options)) process.stdout.write(line + '\n');
      } catch (error) {
        if (!(error instanceof InitError)) throw error;
        process.stderr.write(`raftlab: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
