export * from './persister.ts';
export * from './tracing-persister.ts';
