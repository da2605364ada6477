import type { Machine } from "../domain/machine.js";

/** Filters the index answers: exact labels and a lower-case substring of the search text. */
export interface IndexQuery {
  labels: readonly (readonly [string, string])[];
  /** Already lower-cased; empty or absent means no search. */
  search?: string;
}

/** One label pair's machines, with their sorted order kept until the set changes. */
interface LabelEntry {
  ids: Set<string>;
  sorted?: string[];
}

/** Three characters, the shortest search the trigram lists answer; shorter ones check every text. */
const GRAM = 3;

/** The packed form a search reads: texts in id order and, per trigram, the positions of the texts holding it. */
interface Packed {
  texts: string[];
  grams: Map<number, Int32Array>;
}

/**
 * The machine list's query index: ids in order, each machine's lower-cased search text, and the machines of
 * each label pair. A scan over 10,000 machines took ~2.5 ms a query (Map and WeakMap lookups per machine);
 * here a label filter is a lookup and a search is `indexOf` over one joined string. Built on the first query,
 * not at start (a start with 10,000 machines is measured against a memory goal), then kept from the changes
 * MachineService hears on the store's change feed.
 */
export class MachineIndex {
  private built = false;
  private sorted: string[] | undefined;
  private readonly text = new Map<string, string>();
  private readonly labels = new Map<string, Map<string, LabelEntry>>();
  /** Rebuilt on the first search after a machine came, went or changed its text (a boot's put does not). */
  private packed: Packed | undefined;

  /** `machines` gives every stored machine, for the first build. */
  constructor(private readonly machines: () => Iterable<Machine>) {}

  /** Takes one stored change in: `old` is what the store held, `next` what it holds now (absent: deleted). */
  changed(old: Machine | undefined, next: Machine | undefined): void {
    if (!old || !next) this.sorted = undefined;
    if (!this.built) return;
    if (old) this.remove(old, next);
    if (next) this.add(next);
  }

  /** Every machine id, sorted. */
  ids(): string[] {
    this.sorted ??= [...this.machines()].map((m) => m.id).sort();
    return this.sorted;
  }

  /** The ids that match every label and the search, in id order. */
  match(q: IndexQuery): string[] {
    const search = q.search || undefined;
    if (q.labels.length === 0 && !search) return this.ids();
    this.build();
    if (q.labels.length === 0) return this.searchAll(search!);
    // Walk the smallest label pair's machines; the others and the search are checked per machine.
    const entries = q.labels.map(([k, v]) => this.labels.get(k)?.get(v));
    if (entries.some((e) => e === undefined)) return [];
    const [first, ...rest] = (entries as LabelEntry[]).sort((a, b) => a.ids.size - b.ids.size);
    first!.sorted ??= [...first!.ids].sort();
    if (rest.length === 0 && !search) return first!.sorted;
    return first!.sorted.filter(
      (id) => rest.every((e) => e.ids.has(id)) && (!search || this.text.get(id)!.includes(search)),
    );
  }

  private searchAll(search: string): string[] {
    const ids = this.ids();
    const { texts, grams } = this.packedFor(ids);
    if (search.length < GRAM) return ids.filter((_, i) => texts[i]!.includes(search));
    // Every text that holds the search holds each of its trigrams: the rarest one's list holds all matches.
    let fewest: Int32Array | undefined;
    for (let i = 0; i + GRAM <= search.length; i++) {
      const list = grams.get(gramKey(search, i));
      if (!list) return [];
      if (!fewest || list.length < fewest.length) fewest = list;
    }
    const found: string[] = [];
    for (const i of fewest!) if (texts[i]!.includes(search)) found.push(ids[i]!);
    return found;
  }

  private packedFor(ids: string[]): Packed {
    if (!this.packed) {
      const lists = new Map<number, number[]>();
      const texts = ids.map((id, i) => {
        const t = this.text.get(id)!;
        for (let at = 0; at + GRAM <= t.length; at++) {
          const key = gramKey(t, at);
          let list = lists.get(key);
          if (!list) lists.set(key, (list = []));
          if (list[list.length - 1] !== i) list.push(i); // once per text, in id order
        }
        return t;
      });
      const grams = new Map<number, Int32Array>();
      for (const [key, list] of lists) grams.set(key, Int32Array.from(list));
      this.packed = { texts, grams };
    }
    return this.packed;
  }

  private build(): void {
    if (this.built) return;
    this.built = true;
    for (const m of this.machines()) this.add(m);
  }

  private add(m: Machine): void {
    const t = searchText(m);
    if (this.text.get(m.id) !== t) {
      this.text.set(m.id, t);
      this.packed = undefined;
    }
    for (const [k, v] of Object.entries(m.labels)) {
      let values = this.labels.get(k);
      if (!values) this.labels.set(k, (values = new Map()));
      let entry = values.get(v);
      if (!entry) values.set(v, (entry = { ids: new Set() }));
      if (!entry.ids.has(m.id)) {
        entry.ids.add(m.id);
        entry.sorted = undefined;
      }
    }
  }

  /** Unindexes `old`, leaving what `next` (the same id's new value) keeps: a boot's put changes no label. */
  private remove(old: Machine, next: Machine | undefined): void {
    if (!next) {
      this.text.delete(old.id);
      this.packed = undefined;
    }
    for (const [k, v] of Object.entries(old.labels)) {
      if (next && Object.hasOwn(next.labels, k) && next.labels[k] === v) continue;
      const values = this.labels.get(k);
      const entry = values?.get(v);
      if (!entry?.ids.delete(old.id)) continue;
      entry.sorted = undefined;
      if (entry.ids.size === 0) values!.delete(v);
      if (values!.size === 0) this.labels.delete(k);
    }
  }
}

/** What a search looks in: id (the primary MAC), hostname, serial, UUID and label values, lower-cased. */
function searchText(m: Machine): string {
  return [m.id, m.hostname, m.serial, m.uuid, ...Object.values(m.labels)]
    .filter(Boolean)
    .join("\n")
    .toLowerCase();
}

/**
 * The trigram at `at` as a number: exact for characters below 1024 (all a validated field holds); others may
 * share a key, which only adds texts that the real check then drops.
 */
function gramKey(t: string, at: number): number {
  return (
    ((t.charCodeAt(at) & 1023) << 20) | ((t.charCodeAt(at + 1) & 1023) << 10) | (t.charCodeAt(at + 2) & 1023)
  );
}
