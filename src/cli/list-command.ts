/** `raftlab list`: the graded tests, one per line. Loads only the tests' catalog (src/cli/main.ts loads it alone). */
import type { Command } from 'commander';
import { TestSelectionError, selectTests } from '../harness/tester/registry.ts';

export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('list the graded tests: id, part, servers, description')
    .argument('[pattern]', 'only tests whose id matches this regular expression')
    .action((pattern: string | undefined) => {
      try {
        for (const test of selectTests(pattern)) {
          process.stdout.write(`${test.id.padEnd(34)} ${test.part}  ${test.servers}  ${test.description}\n`);
        }
      } catch (error) {
        if (!(error instanceof TestSelectionError)) throw error;
        process.stderr.write(`raftlab: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
