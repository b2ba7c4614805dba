// A getter in an object literal made for every RPC (a timer's `get active`) gave each object a hidden class of its own,
// which V8 kept, with all the getter reached, until a full collection: every RPC's state was promoted.
import assert from 'node:assert/strict';
import { lintMessages } from './lint-text.ts';

const accessorMessages = (filePath: string, code: string): Promise<string[]> => lintMessages(filePath, code, 'hidden class');

describe('accessors in object literals', function () {
  this.timeout(120_000);

  const literalGetter = 'export const timer = (): { readonly active: boolean } => ({ get active() { return true; } });\n';
  const literalSetter = 'let seen = 0;\nexport const box = { set value(v: number) { seen = v; } };\nexport const read = (): number => seen;\n';
  const classGetter = 'export class Timer {\n  get active(): boolean {\n    return true;\n  }\n}\n';

  it("lint refuses a getter or a setter in an object literal in raftlab's code, the harness's runtime and the labs included", async () => {
    for (const file of ['src/harness/runtime/x.ts', 'src/harness/tester/x.ts', 'src/runner/x.ts', 'src/renderer/x.ts', 'labs/raft/x.ts']) {
      for (const code of [literalGetter, literalSetter]) assert.equal((await accessorMessages(file, code)).length, 1, `${file}: ${code}`);
    }
  });

  it("allows a class's accessors, and tests' literals", async () => {
    assert.deepEqual(await accessorMessages('src/harness/runtime/x.ts', classGetter), []);
    assert.deepEqual(await accessorMessages('test/codec/x.test.ts', literalGetter), []);
  });
});
