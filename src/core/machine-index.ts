import type { Machine } from "../domain/machine.js";
import { TextIndex } from "./text-index.js";

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

/**
 * The machine list's query index: ids in order, each machine's lower-cased search text, and the machines of
 * each label pair. A scan over 10,000 machines took ~2.5 ms a query (Map and WeakMap lookups per machine);
 * here a label filter is a lookup and a search reads a trigram list (src/core/text-index.ts). Built on the
 * first filtered query, not at start (a start with 10,000 machines is measured against a memory goal), then
 * kept from the changes MachineService hears on the store's change feed.
 */
export class MachineIndex {
  private built = false;
  private sorted: string[] | undefined;
  /** Each id's place in `sorted`, for searches with many hits; dropped with it. */
  private rank: Map<string, number> | undefined;
  private readonly text = new TextIndex();
  private readonly labels = new Map<string, Map<string, LabelEntry>>();

  /** `machines` gives every stored machine, for the first build. */
  constructor(private readonly machines: () => Iterable<Machine>) {}

  /** Takes one stored change in: `old` is what the store held, `next` what it holds now (absent: deleted). */
  changed(old: Machine | undefined, next: Machine | undefined): void {
    if (!old || !next) this.sorted = this.rank = undefined;
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
      (id) => rest.every((e) => e.ids.has(id)) && (!search || this.text.textOf(id)!.includes(search)),
    );
  }

  /** The ids whose text holds the search, in id order. */
  private searchAll(search: string): string[] {
    const found = this.text.find(search);
    if (found.length <= 64) return found.sort(); // few hits sort themselves
    // Many are marked by their place in the id order and read back in that order: no string comparisons.
    const ids = this.ids();
    this.rank ??= new Map(ids.map((id, i) => [id, i]));
    const hit = new Uint8Array(ids.length);
    for (const id of found) hit[this.rank.get(id)!] = 1;
    return ids.filter((_, i) => hit[i] === 1);
  }

  private build(): void {
    if (this.built) return;
    this.built = true;
    for (const m of this.machines()) this.add(m);
  }

  private add(m: Machine): void {
    this.text.set(m.id, searchText(m));
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
    if (!next) this.text.delete(old.id);
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
