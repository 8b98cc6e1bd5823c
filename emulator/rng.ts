/**
 * Deterministic, seedable randomness. Finding i is a pure function of (seed, i): every value is
 * drawn from a small stream seeded by hashing (seed, i, salt), so any finding can be rebuilt on
 * demand without keeping it in memory.
 */

/** 32-bit finaliser (lowbias32): a good avalanche for sequential inputs. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export function hash3(seed: number, i: number, salt: number): number {
  return mix32(mix32(mix32(seed ^ 0x9e3779b9) ^ i) + Math.imul(salt + 1, 0x85ebca6b));
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** A mulberry32 stream. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  static of(seed: number, i: number, salt: number): Rng {
    return new Rng(hash3(seed, i, salt));
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** [0, 1) */
  next(): number {
    return this.u32() / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)] as T;
  }
  /** Index drawn by weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let k = 0; k < weights.length; k++) {
      r -= weights[k] as number;
      if (r < 0) return k;
    }
    return weights.length - 1;
  }
  hex(n: number): string {
    let s = '';
    while (s.length < n) {
      const x = this.u32();
      s += HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
    }
    return s.length === n ? s : s.slice(0, n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}
