/**
 * The Go toolchain that builds a Go lab: `go` on PATH, or the one RAFTLAB_GO names. The course's code needs Go 1.15
 * or newer (its go.mod says so); a missing or older toolchain is a typed error that says what to install.
 */
import { execFile } from 'node:child_process';
import { ImplLoadError } from '../harness/loader/build.ts';

export const goMinimum = { major: 1, minor: 15 } as const;

export interface GoToolchain {
  /** What raftlab runs: `go` (found on PATH) or RAFTLAB_GO's path. */
  command: string;
  /** `go1.19.8` */
  version: string;
  major: number;
  minor: number;
}

const found = new Map<string, Promise<GoToolchain>>();

/** `go version`'s answer, e.g. `go version go1.19.8 linux/amd64` → go1.19.8, 1, 19. */
export function parseGoVersion(text: string): Pick<GoToolchain, 'version' | 'major' | 'minor'> | undefined {
  const m = /\bgo(\d+)\.(\d+)(?:\.\d+|rc\d+|beta\d+)?\b/.exec(text);
  return m ? { version: m[0], major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** The toolchain, checked once per process (per command); throws ImplLoadError when there is none or it is too old. */
export function findGo(env: NodeJS.ProcessEnv = process.env): Promise<GoToolchain> {
  const command = env.RAFTLAB_GO || 'go';
  const key = `${command}\0${env.PATH ?? ''}`;
  let promise = found.get(key);
  if (!promise) {
    promise = probe(command, env);
    found.set(key, promise);
    promise.catch(() => found.delete(key));
  }
  return promise;
}

function probe(command: string, env: NodeJS.ProcessEnv): Promise<GoToolchain> {
  const where = env.RAFTLAB_GO ? `at ${command} (RAFTLAB_GO)` : 'on PATH';
  const install = 'install Go 1.15 or newer (Debian: apt-get install golang-go; elsewhere https://go.dev/dl/)';
  return new Promise((resolve, reject) => {
    execFile(command, ['version'], { env, timeout: 30_000, encoding: 'utf8' }, (error, stdout) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? `there is no go ${where}` : `\`${command} version\` failed (${error.message.split('\n')[0]})`;
        reject(new ImplLoadError('GO_TOOLCHAIN_MISSING', `a Go lab needs the Go toolchain, and ${why}: ${install}`));
        return;
      }
      const version = parseGoVersion(stdout);
      if (!version) {
        reject(new ImplLoadError('GO_TOOLCHAIN_MISSING', `\`${command} version\` printed ${JSON.stringify(stdout.trim())}, not a Go version: ${install}`));
        return;
      }
      if (version.major < goMinimum.major || (version.major === goMinimum.major && version.minor < goMinimum.minor)) {
        reject(new ImplLoadError('GO_TOOLCHAIN_TOO_OLD', `the Go ${where} is ${version.version}; the lab needs Go ${goMinimum.major}.${goMinimum.minor} or newer: ${install}`));
        return;
      }
      resolve({ command, ...version });
    });
  });
}
