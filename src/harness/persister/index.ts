export * from './persister.ts';
