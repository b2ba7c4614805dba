export { Codec, CodecError, MAX_DEPTH, clone } from './codec.ts';
export type { CodecErrorCode, CodecOptions, CodecWarning, CodecWarningKind } from './codec.ts';
export { SuccessiveReader } from './read-plain.ts';
