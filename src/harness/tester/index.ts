export * from './types.ts';
export * from './config.ts';
export * from './failure.ts';
export * from './registry.ts';
export * from './run-test.ts';
export * from './load-impl.ts';
export * from '../loader/bug-patch.ts';
export * from './node-runtime.ts';
