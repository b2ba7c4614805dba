import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FuseV1Options, flipFuses, getCurrentFuseWire } from '@electron/fuses';
// @ts-expect-error -- a plain .mjs script, no declarations
import { raftlabFuses } from '../../scripts/fuses.mjs';

describe('desktop shell: the fuses set at package time', () => {
  it('turn off NODE_OPTIONS and --inspect, keep the app to its asar, and leave RunAsNode for the run processes', async () => {
    // A stand-in binary holding Electron's fuse wire: the sentinel, version 1, nine fuses all on ('1').
    const dir = mkdtempSync(path.join(os.tmpdir(), 'raftlab-fuses-'));
    try {
      const binary = path.join(dir, 'electron');
      writeFileSync(binary, Buffer.concat([Buffer.alloc(1000, 7), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, 9]), Buffer.from('111111111'), Buffer.alloc(1000, 7)]));
      await flipFuses(binary, raftlabFuses);
      const wire = await getCurrentFuseWire(binary);
      const on = (fuse: FuseV1Options): boolean => wire[fuse] === '1'.charCodeAt(0);
      assert.equal(on(FuseV1Options.EnableNodeOptionsEnvironmentVariable), false);
      assert.equal(on(FuseV1Options.EnableNodeCliInspectArguments), false);
      assert.equal(on(FuseV1Options.GrantFileProtocolExtraPrivileges), false);
      assert.equal(on(FuseV1Options.OnlyLoadAppFromAsar), true);
      assert.equal(on(FuseV1Options.EnableEmbeddedAsarIntegrityValidation), true);
      assert.equal(on(FuseV1Options.EnableCookieEncryption), true);
      assert.equal(on(FuseV1Options.RunAsNode), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
