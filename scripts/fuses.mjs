// @ts-check
/**
 * Electron's fuses, flipped in a packaged app's binary (`npm run package:fuses -- <path to the Electron binary>`),
 * where they cannot be turned back on by an environment variable or a command-line flag:
 * - no NODE_OPTIONS and no --inspect flags: nothing outside the app can inject code into it;
 * - the app loads only from its asar archive, whose integrity is checked; cookies are encrypted;
 * - file:// pages get no extra privileges (the renderer is served on app://raftlab/, src/main/app-protocol.ts).
 * RunAsNode stays on, deliberately: raftlab's run processes are the app's own binary started as Node
 * (ELECTRON_RUN_AS_NODE, src/runner/pool.ts), with a scrubbed environment, each running one student's Raft.
 */
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';

export const raftlabFuses = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: true,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

const binary = process.argv[2];
if (import.meta.url === `file://${process.argv[1]}`) {
  if (!binary) {
    process.stderr.write('usage: npm run package:fuses -- <path to the packaged Electron binary>\n');
    process.exit(2);
  }
  await flipFuses(binary, raftlabFuses);
  process.stdout.write(`fuses set on ${binary}\n`);
}
