/**
 * `raftlab`: the command line face of the harness — init, list, test, run, replay, export, check, grade, worker.
 * Every command works from a terminal and in CI; a usage error is one line on stderr and exit status 2.
 *
 * Each command's modules are evaluated only when that command runs (in the build, each is a module that starts on its
 * first import): `raftlab list` does not load the queue client, the checker or the trace formats.
 */
import { Command, CommanderError } from 'commander';
import { raftlabPackage } from '../harness/paths.ts';

type Register = (program: Command) => void;

/** Each command name, and how to load the function that declares it (and the commands declared with it). */
const commandModules: Record<string, () => Promise<Register>> = {
  init: async () => (await import('./init-command.ts')).registerInitCommand,
  list: async () => (await import('./list-command.ts')).registerListCommand,
  test: async () => (await import('./test-command.ts')).registerTestCommand,
  run: async () => (await import('./run-command.ts')).registerRunCommand,
  replay: async () => (await import('./replay-command.ts')).registerReplayCommand,
  export: async () => (await import('./export-command.ts')).registerExportCommand,
  check: async () => (await import('./check-command.ts')).registerCheckCommand,
  grade: async () => (await import('./grade-command.ts')).registerGradeCommands,
};
// `grade` declares `worker` too.
commandModules.worker = commandModules.grade!;

/**
 * The program with the commands `argv` can reach: the one it names, or every command (for the overview help, a
 * misspelt name's suggestion, or no command at all).
 */
export async function makeProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('raftlab')
    .description(raftlabPackage.description)
    .version(raftlabPackage.version, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError();
  const named = argv[2];
  // `raftlab --version` needs no command; the overview help and a suggestion for a misspelt name need them all.
  const versionOnly = argv.length === 3 && (named === '-V' || named === '--version');
  const load = versionOnly ? [] : named !== undefined && Object.hasOwn(commandModules, named) ? [commandModules[named]!] : [...new Set(Object.values(commandModules))];
  for (const register of await Promise.all(load.map((f) => f()))) register(program);
  return program;
}

// `raftlab list | head`: a reader that stops early ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// A promise, not a top-level await: raftlab's build of itself is a CommonJS bundle (src/build/self-build.mjs). A
// rejection nobody handles ends the process with its stack, as a top-level await's did.
void (async () => {
  try {
    await (await makeProgram()).parseAsync(process.argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // commander has printed its one-line message; help and --version are not errors.
    process.exitCode = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code) ? 0 : 2;
  }
})();
