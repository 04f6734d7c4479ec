// A compact set of relative paths for manifests of any size: each path is
// kept as a 64-bit hash (two independent 32-bit hashes) in an open-addressing
// table of typed arrays, 8 bytes a slot instead of a string a path. A path
// not in the set is taken for a member only if both hashes collide with a
// member's, about n / 2^64 (5e-14 for a million-file run).
//
// The table is sized from the number of paths expected (a manifest's lines),
// not grown by doubling from small: each table outgrown stays allocated
// until the isolate's next full collection, which external memory alone
// seldom triggers, so doubling held about as much again as the table itself.
export class PathIndex {
  private high: Uint32Array;
  private low: Uint32Array;
  private used = 0;

  // Sized to take `expected` paths (at most: a manifest's line count) without growing.
  constructor(expected = 0) {
    const slots = Math.max(MIN_SLOTS, Math.ceil(expected / MAX_LOAD));
    this.high = new Uint32Array(slots);
    this.low = new Uint32Array(slots);
  }

  get size(): number {
    return this.used;
  }

  // What it holds in memory: 8 bytes a slot.
  get slots(): number {
    return this.high.length;
  }

  add(path: string): void {
    if (this.used + 1 > this.high.length * MAX_LOAD) this.grow();
    if (this.insert(hashHigh(path), hashLow(path))) this.used += 1;
  }

  has(path: string): boolean {
    const high = hashHigh(path);
    const low = hashLow(path);
    const slots = this.high.length;
    for (let slot = low % slots; ; slot = slot + 1 === slots ? 0 : slot + 1) {
      if (this.high[slot] === 0 && this.low[slot] === 0) return false;
      if (this.high[slot] === high && this.low[slot] === low) return true;
    }
  }

  private insert(high: number, low: number): boolean {
    const slots = this.high.length;
    for (let slot = low % slots; ; slot = slot + 1 === slots ? 0 : slot + 1) {
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

const MIN_SLOTS = 1024;
// Linear probing stays short below this share of slots in use; past it the
// table grows.
const MAX_LOAD = 0.75;

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
