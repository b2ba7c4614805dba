/**
 * `raftlab`: the command line face of the harness. Commands arrive with the issues that build them
 * (list, test, run, replay, export, check); every one works from a terminal and in CI.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerRunCommand } from './run-command.ts';
import { registerListCommand, registerTestCommand } from './test-command.ts';
import { registerExportCommand } from './export-command.ts';
import { registerReplayCommand } from './replay-command.ts';
import { registerCheckCommand } from './check-command.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

export function makeProgram(): Command {
  const program = new Command('raftlab').description(pkg.description).version(pkg.version, '-V, --version').showHelpAfterError();
  registerListCommand(program);
  registerTestCommand(program);
  registerExportCommand(program);
  registerRunCommand(program);
  registerReplayCommand(program);
  registerCheckCommand(program);
  return program;
}

await makeProgram().parseAsync(process.argv);
