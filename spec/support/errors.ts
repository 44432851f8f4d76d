/** Helpers for specs that pin down error behaviour. */

/** An error class a spec expects. */
export type ErrorClass = typeof Error | typeof TypeError | typeof RangeError;

/** Expects `fn` to throw an instance of `kind` whose message is exactly `message`. */
export function expectError(fn: () => unknown, kind: ErrorClass, message: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(kind);
  expect((error as Error).message).toBe(message);
}

/** Untyped access, to reach the run-time checks that the types would otherwise forbid. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const loose = (x: unknown): any => x;
