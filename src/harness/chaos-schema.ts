/**
 * The chaos knobs as a zod schema, for input that comes from outside (the IPC contract, bundles, history files): each
 * knob within its range, from the one table of src/harness/chaos.ts, unknown knobs refused. Apart from chaos.ts so
 * that parsing `--chaos` (and every run process) does not load zod.
 */
import * as z from 'zod';
import { chaosKnobSpecs, type ChaosKnobs, type KnobName } from './chaos.ts';

export const chaosKnobsSchema = z.strictObject(
  Object.fromEntries(Object.values(chaosKnobSpecs).map((k) => [k.knob, z.number().min(k.min).max(k.max).optional()])) as Record<
    KnobName,
    z.ZodOptional<z.ZodNumber>
  >,
);

export type { ChaosKnobs };
