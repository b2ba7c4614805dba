/**
 * `npm run schema`: writes the published JSON Schemas, docs/schema/*.schema.json, from their one description in code
 * (src/trace/json-schema.ts for traces and exports, src/runner/report-schema.ts for `run --json`). test/formats
 * fails when the files in docs/schema/ are not what this writes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedSchemas } from './schemas.ts';

const dir = fileURLToPath(new URL('../docs/schema/', import.meta.url));
for (const [name, text] of Object.entries(publishedSchemas())) {
  writeFileSync(path.join(dir, name), text);
  process.stdout.write(`wrote docs/schema/${name}\n`);
}
