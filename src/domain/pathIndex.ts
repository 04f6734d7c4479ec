// A compact set of relative paths for manifests of any size: each path is
// kept as a 64-bit hash (two independent 32-bit hashes) in an open-addressing
// table of typed arrays, about 16 bytes a path instead of a string each. A
// path not in the set is taken for a member only if both hashes collide with
// a member's, about n / 2^64 (5e-14 for a million-file run).
export class PathIndex {
  private high: Uint32Array;
  private low: Uint32Array;
  private used = 0;

  // Sized for about `expected` paths up front, so that it need not grow.
  constructor(expected = 512) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.high = new Uint32Array(capacity);
    this.low = new Uint32Array(capacity);
  }

  get size(): number {
    return this.used;
  }

  add(path: string): void {
    if ((this.used + 1) * 2 > this.high.length) this.grow();
    if (this.insert(hashHigh(path), hashLow(path))) this.used += 1;
  }

  has(path: string): boolean {
    const high = hashHigh(path);
    const low = hashLow(path);
    const mask = this.high.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      if (this.high[slot] === 0 && this.low[slot] === 0) return false;
      if (this.high[slot] === high && this.low[slot] === low) return true;
    }
  }

  private insert(high: number, low: number): boolean {
    const mask = this.high.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      if (this.high[slot] === 0 && this.low[slot] === 0) {
        this.high[slot] = high;
        this.low[slot] = low;
        return true;
      }
      if (this.high[slot] === high && this.low[slot] === low) return false;
    }
  }

  private grow(): void {
    const { high, low } = this;
    this.high = new Uint32Array(high.length * 2);
    this.low = new Uint32Array(low.length * 2);
    for (let slot = 0; slot < high.length; slot += 1) {
      if (high[slot] !== 0 || low[slot] !== 0) this.insert(high[slot] as number, low[slot] as number);
    }
  }
}

// FNV-1a over UTF-16 code units; never 0, which marks an empty slot.
function hashHigh(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) || 1;
}

// A MurmurHash3-style mix with another seed, independent of the first.
function hashLow(text: string): number {
  let hash = 0x9747b28c ^ text.length;
  for (let i = 0; i < text.length; i += 1) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    hash ^= k;
    hash = Math.imul((hash << 13) | (hash >>> 19), 5) + 0xe6546b64;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
