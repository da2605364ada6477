/** One page of a filtered list as the API returns it. */
export type PageFetcher<T> = (offset: number, limit: number) => Promise<{ items: T[]; total: number }>;

const PAGE = 200;

/**
 * A long server-side list held sparsely: only the pages someone scrolled to are fetched, so 10,000
 * machines cost a few pages, not one huge download. `reset` starts over (a new filter); `refresh`
 * re-reads the loaded pages in place (live changes) without jumping back to the top.
 */
export class PagedRows<T> {
  total = 0;
  private rows: (T | undefined)[] = [];
  private index = new Map<string, number>();
  private loading = new Map<number, Promise<void>>();
  private generation = 0;

  constructor(
    private fetchPage: PageFetcher<T>,
    private readonly onChange: () => void,
    private readonly onError: (err: unknown) => void,
    private readonly key: (row: T) => string,
  ) {}

  /** The row at `i`, or undefined while its page loads. */
  at(i: number): T | undefined {
    return this.rows[i];
  }

  /** The loaded row with this key, for live updates in place (no walk over 10,000 slots per event). */
  find(id: string): T | undefined {
    const i = this.index.get(id);
    const row = i === undefined ? undefined : this.rows[i];
    return row !== undefined && this.key(row) === id ? row : undefined;
  }

  /** Starts over with another fetcher (new filters); resolves when the first page is in. */
  async reset(fetchPage: PageFetcher<T>): Promise<void> {
    this.fetchPage = fetchPage;
    this.generation++;
    this.loading.clear();
    this.rows = [];
    this.index.clear();
    this.total = 0;
    await this.load(0);
  }

  /** Makes sure rows `first`..`last` are loaded or loading. */
  ensure(first: number, last: number): void {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) {
      if (p * PAGE >= Math.max(this.total, 1)) break;
      if (this.rows[p * PAGE] === undefined && !this.loading.has(p)) this.load(p).catch(this.onError);
    }
  }

  /** Re-reads the pages that are loaded now (after something changed on the server). */
  async refresh(first: number, last: number): Promise<void> {
    const pages = new Set<number>();
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) pages.add(p);
    if (pages.size === 0) pages.add(0);
    await Promise.all([...pages].map((p) => this.load(p, true)));
  }

  private load(page: number, force = false): Promise<void> {
    const pending = this.loading.get(page);
    if (pending && !force) return pending;
    const gen = this.generation;
    const job = this.fetchPage(page * PAGE, PAGE)
      .then(({ items, total }) => {
        if (gen !== this.generation) return;
        this.total = total;
        if (this.rows.length > total) this.rows.length = total;
        items.forEach((row, k) => {
          this.rows[page * PAGE + k] = row;
          this.index.set(this.key(row), page * PAGE + k);
        });
        this.onChange();
      })
      .finally(() => {
        if (this.loading.get(page) === job) this.loading.delete(page);
      });
    this.loading.set(page, job);
    return job;
  }
}
