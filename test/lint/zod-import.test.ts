// zod is imported as a namespace: through the named `z` (or the default), esbuild cannot tree-shake it, and the CLI's
// build carried all of zod's locales, ~600 KB compiled at every start.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBuilt } from '../../src/build/self-build.mjs';
import { lintMessages } from './lint-text.ts';

const zodMessages = (filePath: string, code: string): Promise<string[]> => lintMessages(filePath, code, 'zod');

describe("zod's import", function () {
  this.timeout(120_000);

  it('lint refuses the named z and the default, in the harness (which has clock rules of its own) and elsewhere; allows the namespace', async () => {
    for (const file of ['src/runner/x.ts', 'src/harness/tester/x.ts', 'src/shared/x.ts']) {
      for (const code of ["import { z } from 'zod';\nexport const n = z.number();\n", "import z from 'zod';\nexport const n = z.number();\n"]) {
        assert.equal((await zodMessages(file, code)).length, 1, `${file}: ${code}`);
      }
      assert.deepEqual(await zodMessages(file, "import * as z from 'zod';\nexport const n = z.number();\n"), [], file);
    }
  });

  it("the CLI's build carries zod's English messages and none of its other locales", async () => {
    const bundle = path.join(path.dirname(await ensureBuilt('cli')), 'cli.bundle.cjs');
    // The locales' index stays, as an empty module: what it re-exported is shaken out.
    const locales = new Set([...readFileSync(bundle, 'utf8').matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/([\w-]+)\.js$/gm)].map((m) => m[1]!).filter((m) => m !== 'index'));
    assert.deepEqual([...locales], ['en']);
  });
});
