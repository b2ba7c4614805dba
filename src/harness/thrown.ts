/**
 * Describing whatever code under test throws: an Error, a string, or any value at all — a null-prototype object
 * (no toString), a revoked proxy, an object whose getters throw. Never throws itself.
 */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    if (typeof value === 'string') return value;
    if (value === null || value === undefined || typeof value !== 'object') return String(value);
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return `non-error value ${json.slice(0, 300)}`;
    } catch {
      // fall through
    }
    return `non-error value of type ${Object.prototype.toString.call(value)}`;
  } catch {
    return 'a value that cannot be described';
  }
}

/** An error's message, or the description of a thrown non-error. */
export function messageOf(value: unknown): string {
  try {
    if (value instanceof Error) return value.message;
  } catch {
    // a proxy that throws on instanceof
  }
  return describeThrown(value);
}
