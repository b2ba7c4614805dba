// The chaos knobs' one table (src/harness/chaos.ts), for the renderer: its form, its labels, its summaries.
export { chaosKnobSpecs, formatChaos, type ChaosKnobs, type ChaosKnobSpec } from '../harness/chaos.ts';
