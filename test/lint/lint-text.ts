import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** The messages lint gives `code` as if it were the file at `filePath` (relative to the repository), those containing `about`. */
export async function lintMessages(filePath: string, code: string, about: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: repo }).lintText(code, { filePath });
  return result!.messages.filter((m) => m.message.includes(about)).map((m) => m.message);
}
