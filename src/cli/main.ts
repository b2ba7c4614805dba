/**
 * `raftlab`: the command line face of the harness — init, list, test, run, replay, export, check. Every command
 * works from a terminal and in CI; a usage error is one line on stderr and exit status 2.
 */
import { Command, CommanderError } from 'commander';
import { raftlabPackage } from '../harness/paths.ts';
import { registerCheckCommand } from './check-command.ts';
import { registerExportCommand } from './export-command.ts';
import { registerGradeCommands } from './grade-command.ts';
import { registerInitCommand } from './init-command.ts';
import { registerReplayCommand } from './replay-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerListCommand, registerTestCommand } from './test-command.ts';

export function makeProgram(): Command {
  const program = new Command('raftlab')
    .description(raftlabPackage.description)
    .version(raftlabPackage.version, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError();
  registerInitCommand(program);
  registerListCommand(program);
  registerTestCommand(program);
  registerRunCommand(program);
  registerReplayCommand(program);
  registerExportCommand(program);
  registerCheckCommand(program);
  registerGradeCommands(program);
  return program;
}

// `raftlab list | head`: a reader that stops early ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

try {
  await makeProgram().parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // commander has printed its one-line message; help and --version are not errors.
  process.exitCode = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code) ? 0 : 2;
}
