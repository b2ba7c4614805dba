/** The published JSON Schemas, file name → text (npm run schema writes them; a test compares). */
import { batchReportJsonSchema } from '../src/runner/report-schema.ts';
import { traceJsonSchemas } from '../src/trace/json-schema.ts';

export function publishedSchemas(): Record<string, string> {
  const schemas = { ...traceJsonSchemas(), 'batch-report.schema.json': batchReportJsonSchema() };
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, JSON.stringify(schema, null, 2) + '\n']));
}
