/** What the forms' fields check as they are typed, and say in words. */
import { chaosKnobSpecs, type ChaosKnobs } from '../../shared/chaos.ts';

export const SEED_MAX = 2 ** 31 - 1;

/** A whole number in [min, max], or the message that says what is expected (`blank`: the message for an empty field, '' when empty is fine). */
export function wholeNumber(raw: string | number, label: string, min: number, max: number, blank?: string): string | null {
  const text = String(raw).trim();
  if (text === '') return blank ?? `${label}: type a number`;
  if (!/^\d+$/.test(text)) return `${label} is a whole number from ${min} to ${max.toLocaleString('en')}, not “${text}”`;
  const n = Number(text);
  if (n < min || n > max) return `${label} is from ${min} to ${max.toLocaleString('en')}`;
  return null;
}

/** The chaos knobs' form: each knob by its short name ('' = off). */
export type ChaosForm = Record<string, string | number>;

export const emptyChaosForm = (): ChaosForm => Object.fromEntries(Object.keys(chaosKnobSpecs).map((name) => [name, '']));

/** The knobs a chaos form has on, as the back end takes them (empty or 0 is off). */
export function chaosOf(form: ChaosForm): ChaosKnobs {
  const knobs: ChaosKnobs = {};
  for (const [name, spec] of Object.entries(chaosKnobSpecs)) {
    const raw = String(form[name] ?? '').trim();
    if (raw !== '' && Number(raw) !== spec.neutral) knobs[spec.knob] = Number(raw);
  }
  return knobs;
}
