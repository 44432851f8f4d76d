/**
 * A set of tensor ids for the recording and backward paths. Ids only grow, so
 * the outputs a tape records are dense above the id current when it started:
 * those take one byte each in a bitmap from `base` up, with no hashing and no
 * rehash garbage as a tape grows. Older ids (watched tensors, variables) and
 * ids so far above the rest that the bitmap would be mostly empty go to a Set,
 * so the bitmap never takes more than about 16 bytes per id it holds.
 * @internal
 */
export class IdSet {
  private bits: Uint8Array;
  private count = 0;
  private other: Set<number> | undefined;
  /**
   * A set for ids from `base` up (lower ones are kept aside); `capacity`
   * sizes the bitmap at once when the highest id is known.
   */
  constructor(
    private readonly base: number,
    capacity = 256,
  ) {
    this.bits = new Uint8Array(Math.max(capacity, 1));
  }
  has(id: number): boolean {
    const i = id - this.base;
    if (i >= 0 && i < this.bits.length) return this.bits[i] === 1;
    return this.other !== undefined && this.other.has(id);
  }
  add(id: number): void {
    const i = id - this.base;
    if (i >= this.bits.length && i >= 0) {
      let size = this.bits.length * 2;
      while (size <= i) size *= 2;
      if (size > 16 * (this.count + 256)) {
        (this.other ??= new Set()).add(id);
        return;
      }
      const grown = new Uint8Array(size);
      grown.set(this.bits);
      this.bits = grown;
      // Ids set aside above the old bitmap now fall inside it: move them in, so has() reads one place.
      if (this.other !== undefined) {
        for (const old of this.other) {
          const j = old - this.base;
          if (j >= 0 && j < size) {
            this.other.delete(old);
            grown[j] = 1;
            this.count++;
          }
        }
      }
    }
    if (i < 0) {
      (this.other ??= new Set()).add(id);
    } else if (this.bits[i] === 0) {
      this.bits[i] = 1;
      this.count++;
    }
  }
}
