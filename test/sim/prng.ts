// Seeded PRNG for the simulator: sfc32 (Chris Doty-Humphrey's Small Fast Counter, as in
// PractRand), seeded through splitmix32 so nearby seeds give unrelated streams. Every random
// choice of a simulation comes from one of these, so a seed replays exactly.

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix32();
    this.b = splitmix32();
    this.c = splitmix32();
    this.d = 1;
    // Discard the first outputs: sfc32's recommended warm-up.
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextU32() & 0xff;
    return out;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  /** An independent stream, so adding draws in one place does not shift another. */
  fork(label: number): Prng {
    return new Prng((this.nextU32() ^ Math.imul(label + 1, 0x9e3779b1)) >>> 0);
  }
}

/** FNV-1a, 32 bits: a cheap running hash of the simulation trace, to show determinism. */
export class TraceHash {
  private h = 0x811c9dc5;

  mix(value: number | bigint | string): void {
    const text = typeof value === 'string' ? value : String(value);
    for (let i = 0; i < text.length; i++) {
      this.h ^= text.charCodeAt(i);
      this.h = Math.imul(this.h, 0x01000193) >>> 0;
    }
    this.h ^= 0x2c;
    this.h = Math.imul(this.h, 0x01000193) >>> 0;
  }

  hex(): string {
    return this.h.toString(16).padStart(8, '0');
  }
}
