/**
 * Finds many strings in a text at once (Aho–Corasick over UTF-16 code units): building costs the
 * total length of the patterns, a scan costs the length of the text whatever the number of
 * patterns, and nothing in it can grow without bound or throw on a large dictionary, which is what
 * a combined regular expression did ("Regular expression too large").
 *
 * It matches code units, not grapheme clusters: a secret followed by a combining mark or inside an
 * emoji sequence is still found (the npm matchers that segment by grapheme would miss it).
 */
export class StringMatcher {
  /** The root's transitions, one slot per code unit (-1: none): every scan step starts there often. */
  private readonly root = new Int32Array(65536).fill(-1);
  /** Other states' transitions as sibling lists: most states have one child. */
  private readonly firstEdge: number[] = [-1];
  private readonly edgeCode: number[] = [];
  private readonly edgeTo: number[] = [];
  private readonly edgeNext: number[] = [];
  /** Failure link per state: the longest proper suffix of its path that is also a path. */
  private readonly fail: number[] = [0];
  /** Per state, the length of the longest pattern ending there (via failure links), 0 for none. */
  private readonly longest: number[] = [0];

  constructor(patterns: Iterable<string>) {
    for (const p of patterns) {
      if (p.length === 0) continue;
      let state = 0;
      for (let i = 0; i < p.length; i++) {
        const code = p.charCodeAt(i);
        let to = this.step(state, code);
        if (to < 0) to = this.add(state, code);
        state = to;
      }
      this.longest[state] = Math.max(this.longest[state]!, p.length);
    }
    this.link();
  }

  /** Number of trie states: what the dictionary costs in memory. */
  get states(): number {
    return this.fail.length;
  }

  private step(state: number, code: number): number {
    if (state === 0) return this.root[code]!;
    for (let e = this.firstEdge[state]!; e >= 0; e = this.edgeNext[e]!) if (this.edgeCode[e] === code) return this.edgeTo[e]!;
    return -1;
  }

  private add(state: number, code: number): number {
    const to = this.fail.length;
    this.fail.push(0);
    this.longest.push(0);
    this.firstEdge.push(-1);
    if (state === 0) this.root[code] = to;
    else {
      this.edgeCode.push(code);
      this.edgeTo.push(to);
      this.edgeNext.push(this.firstEdge[state]!);
      this.firstEdge[state] = this.edgeCode.length - 1;
    }
    return to;
  }

  /** Breadth-first failure links; a state inherits the longest match of its failure state. */
  private link(): void {
    const queue: number[] = [];
    for (let code = 0; code < 65536; code++) if (this.root[code]! >= 0) queue.push(this.root[code]!);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      for (let e = this.firstEdge[state]!; e >= 0; e = this.edgeNext[e]!) {
        const code = this.edgeCode[e]!;
        const to = this.edgeTo[e]!;
        queue.push(to);
        let f = this.fail[state]!;
        let target = this.step(f, code);
        while (target < 0 && f !== 0) {
          f = this.fail[f]!;
          target = this.step(f, code);
        }
        this.fail[to] = target < 0 ? 0 : target;
        this.longest[to] = Math.max(this.longest[to]!, this.longest[this.fail[to]!]!);
      }
    }
  }

  /**
   * Every code unit that belongs to an occurrence of a pattern, as maximal ranges
   * `[start, end)` in text order. Overlapping and adjacent occurrences merge into one range, so
   * two secrets that overlap in the text are hidden whole, not the first one only.
   */
  ranges(text: string): Array<[start: number, end: number]> {
    const out: Array<[number, number]> = [];
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      let to = this.step(state, code);
      while (to < 0 && state !== 0) {
        state = this.fail[state]!;
        to = this.step(state, code);
      }
      state = to < 0 ? 0 : to;
      const length = this.longest[state]!;
      if (length === 0) continue;
      // Ranges come in order of their end; a longer match may start before earlier ranges, which it
      // then swallows.
      let start = i + 1 - length;
      while (out.length > 0 && out[out.length - 1]![1] >= start) start = Math.min(start, out.pop()![0]);
      out.push([start, i + 1]);
    }
    return out;
  }

  /** `text` with every range of {@link ranges} replaced by `replacement`. */
  replace(text: string, replacement: string): string {
    const ranges = this.ranges(text);
    if (ranges.length === 0) return text;
    let out = '';
    let at = 0;
    for (const [start, end] of ranges) {
      out += text.slice(at, start) + replacement;
      at = end;
    }
    return out + text.slice(at);
  }
}
