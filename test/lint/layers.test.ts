// The layers are enforced, not only described: an upward import is a lint error (eslint.config.js), and there is no
// import cycle (dependency-cruiser, `npm run cycles`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repo = fileURLToPath(new URL('../../', import.meta.url));

async function lintAt(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repo });
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('layers point one way', function () {
  this.timeout(60_000);

  it('refuses an upward import at each layer, with the reason', async () => {
    const cases: Array<[string, string]> = [
      ['src/harness/tester/x.ts', "import { runBatch } from '../../runner/batch.ts';\nvoid runBatch;\n"],
      ['src/harness/tester/x.ts', "import { createTraceRecorder } from '../../trace/recorder.ts';\nvoid createTraceRecorder;\n"],
      ['src/trace/x.ts', "import { checkTrace } from '../checker/index.ts';\nvoid checkTrace;\n"],
      ['src/checker/x.ts', "import { runBatch } from '../runner/batch.ts';\nvoid runBatch;\n"],
      ['src/golab/x.ts', "import { runBatch } from '../runner/batch.ts';\nvoid runBatch;\n"],
      ['src/trace/x.ts', "import { buildGoLab } from '../golab/index.ts';\nvoid buildGoLab;\n"],
      ['src/runner/x.ts', "import { makeProgram } from '../cli/main.ts';\nvoid makeProgram;\n"],
      ['src/main/x.ts', "import { testCommand } from '../cli/test-command.ts';\nvoid testCommand;\n"],
      ['src/renderer/src/x.ts', "import { runBatch } from '../../runner/batch.ts';\nvoid runBatch;\n"],
      ['labs/corpus/x/index.ts', "import { Raft } from '../../raft/raft.ts';\nvoid Raft;\n"],
      ['labs/api/x.ts', "import { Raft } from '../raft/raft.ts';\nvoid Raft;\n"],
    ];
    for (const [file, code] of cases) {
      const said = await lintAt(file, code);
      assert.equal(said.length, 1, `${file}: ${code}`);
      assert.match(said[0]!, /must not import|may import only types|imports values only|stands alone|uses only the student API|written apart/);
    }
  });

  it('allows what each layer may use: types from above where the rule says so, values from below', async () => {
    const cases: Array<[string, string]> = [
      ['src/harness/tester/x.ts', "import type { TraceEvent } from '../../trace/schema.ts';\nexport type X = TraceEvent;\n"],
      ['src/checker/x.ts', "import type { TraceEvent } from '../trace/events.ts';\nexport type X = TraceEvent;\n"],
      ['src/runner/x.ts', "import { checkTrace } from '../checker/index.ts';\nvoid checkTrace;\n"],
      ['src/runner/x.ts', "import { buildGoLab } from '../golab/index.ts';\nvoid buildGoLab;\n"],
      ['src/renderer/src/x.ts', "import type { RunRecord } from '../../runner/types.ts';\nimport { describe } from '../../trace/describe.ts';\nexport type X = RunRecord;\nvoid describe;\n"],
      ['src/renderer/src/x.ts', "import { formatChaos } from '../../shared/chaos.ts';\nvoid formatChaos;\n"],
    ];
    for (const [file, code] of cases) assert.deepEqual(await lintAt(file, code), [], `${file}: ${code}`);
  });

  it('has no import cycle (dependency-cruiser over src, labs, test, bench and scripts)', () => {
    const out = execFileSync(process.execPath, [fileURLToPath(new URL('../../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url)), 'src', 'labs', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
      cwd: repo,
      encoding: 'utf8',
    });
    assert.match(out, /no dependency violations found/);
  });
});
