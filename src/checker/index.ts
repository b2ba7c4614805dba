export * from './checker.ts';
