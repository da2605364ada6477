import type { StreamEvent } from "../api.js";
import { field, h, replace } from "../dom.js";
import { STATE_WORDS, stateAfter, when } from "../format.js";
import { PagedRows } from "../paged-rows.js";
import { errorBox, heading, type Screen, type ScreenContext } from "../screen.js";

/** Row height in pixels; the stylesheet gives every row exactly this height, so scrolling is arithmetic. */
const ROW_H = 44;
/** Rows drawn above and below the visible ones, so a quick scroll shows rows rather than blanks. */
const OVERSCAN = 10;
const COLUMNS = 5;

/** A machine as the list shows it. */
interface Row {
  id: string;
  hostname?: string;
  state: string;
  labels: Record<string, string>;
  lastSeen: string;
  /** Open identity conflicts this machine is part of. */
  conflicts?: number;
}

/** A state badge: the word carries the meaning, the colour only helps. */
export function stateBadge(state: string): HTMLElement {
  return h("span", { class: `badge state-${state}` }, STATE_WORDS[state] ?? state);
}

/** Marks a machine with an open identity conflict; on a phone a short "!" (the words stay for readers). */
function conflictBadge(): HTMLElement {
  return h(
    "span",
    { class: "badge conflict" },
    h("span", { class: "short", "aria-hidden": "true" }, "!"),
    h("span", { class: "long" }, "Identity conflict"),
  );
}

/**
 * The machine list: search, filter by state and label, and a windowed table that draws only the rows in
 * view (10,000 machines scroll like 50). Badges follow the live event stream without a reload.
 */
export function machinesScreen(ctx: ScreenContext): Screen {
  const { client } = ctx.session;
  const search = h("input", { type: "search", name: "search", value: ctx.query.get("search") ?? "" });
  const state = h(
    "select",
    { name: "state" },
    h("option", { value: "" }, "Any state"),
    Object.entries(STATE_WORDS).map(([v, text]) => h("option", { value: v }, text)),
  );
  state.value = ctx.query.get("state") ?? "";
  const label = h("input", {
    type: "text",
    name: "label",
    placeholder: "rack=r1",
    value: ctx.query.get("label") ?? "",
  });
  const count = h("p", { class: "count", "aria-live": "polite" }, "Loading…");
  const errors = h("div", { class: "errors" });
  const top = h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan: COLUMNS }));
  const bottom = h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan: COLUMNS }));
  const tbody = h("tbody", {});
  const table = h(
    "table",
    { class: "machines" },
    h("caption", { class: "visually-hidden" }, "Machines, sorted by MAC address"),
    h(
      "thead",
      {},
      h(
        "tr",
        { "aria-rowindex": 1 },
        h("th", { scope: "col" }, "Machine"),
        h("th", { scope: "col", class: "wide" }, "Host name"),
        h("th", { scope: "col" }, "State"),
        h("th", { scope: "col", class: "wide" }, "Labels"),
        h("th", { scope: "col", class: "wide" }, "Last seen"),
      ),
    ),
    tbody,
  );
  const scroller = h(
    "div",
    { class: "scroller", tabindex: 0, role: "region", "aria-label": "Machine list" },
    table,
  );

  const filters = () => ({
    search: search.value.trim() || undefined,
    state: state.value || undefined,
    label: label.value.trim() || undefined,
  });
  const fetcher = () => {
    const f = filters();
    return (offset: number, limit: number) =>
      client.machines.list({ ...f, offset, limit }) as unknown as Promise<{ items: Row[]; total: number }>;
  };
  const rows = new PagedRows<Row>(
    fetcher(),
    () => draw(),
    (err) => replace(errors, errorBox(err)),
    (row) => row.id,
  );

  function visible(): [number, number] {
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - OVERSCAN);
    const shown = Math.ceil((scroller.clientHeight || 600) / ROW_H) + 2 * OVERSCAN;
    return [first, Math.min(rows.total, first + shown) - 1];
  }

  function rowFor(i: number): HTMLTableRowElement {
    const m = rows.at(i);
    if (!m)
      return h(
        "tr",
        { class: "row pending", "aria-rowindex": i + 2 },
        h("td", { colspan: COLUMNS }, "Loading…"),
      );
    const labels = Object.entries(m.labels).map(([k, v]) => `${k}=${v}`);
    return h(
      "tr",
      { class: "row", "aria-rowindex": i + 2, "data-id": m.id },
      h(
        "td",
        { class: "machine-cell" },
        h("a", { href: `#/machines/${encodeURIComponent(m.id)}`, class: "mono" }, m.id),
        // On a phone the host name column is hidden and this shows instead (display: none elsewhere).
        m.hostname && h("span", { class: "sub" }, m.hostname),
      ),
      h("td", { class: "host wide" }, m.hostname ?? "—"),
      h("td", {}, stateBadge(m.state), (m.conflicts ?? 0) > 0 && [" ", conflictBadge()]),
      h("td", { class: "wide" }, labels.join(", ") || "—"),
      h("td", { class: "wide" }, when(m.lastSeen)),
    );
  }

  function draw(): void {
    const [first, last] = visible();
    table.setAttribute("aria-rowcount", String(rows.total + 1));
    top.style.height = `${first * ROW_H}px`;
    bottom.style.height = `${Math.max(0, rows.total - last - 1) * ROW_H}px`;
    const drawn: HTMLTableRowElement[] = [];
    for (let i = first; i <= last; i++) drawn.push(rowFor(i));
    // Keep focus on a link that is redrawn (live updates must not throw a keyboard user out of the list).
    const focusedId = (document.activeElement?.closest("tr") as HTMLElement | null)?.dataset.id;
    tbody.replaceChildren(top, ...drawn, bottom);
    if (focusedId) tbody.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(focusedId)}"] a`)?.focus();
    count.textContent = rows.total === 1 ? "1 machine" : `${rows.total.toLocaleString()} machines`;
    rows.ensure(first, last);
  }

  // At most one redraw per frame, however many scroll steps or events (a rack booting) arrive in it.
  let frame = 0;
  const drawSoon = () => {
    if (!frame)
      frame = requestAnimationFrame(() => {
        frame = 0;
        draw();
      });
  };
  scroller.addEventListener("scroll", drawSoon);

  /** Filters go into the address (without a new history entry), so a link or a reload keeps them. */
  async function applyFilters(): Promise<void> {
    const q = new URLSearchParams(Object.entries(filters()).filter((e): e is [string, string] => !!e[1]));
    history.replaceState(null, "", `#/machines${q.size ? `?${q}` : ""}`);
    errors.replaceChildren();
    scroller.scrollTop = 0;
    await rows.reset(fetcher()).catch((err) => replace(errors, errorBox(err)));
    draw();
  }
  let typing = 0;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = window.setTimeout(() => void applyFilters(), 250);
  });
  label.addEventListener("change", () => void applyFilters());
  state.addEventListener("change", () => void applyFilters());

  // Live: a known row changes in place at once; anything else (a new machine, a filtered view) re-reads
  // the rows in view shortly after, once for a burst of events.
  let refreshTimer = 0;
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(() => {
      const [first, last] = visible();
      rows.refresh(first, Math.max(first, last)).catch((err) => replace(errors, errorBox(err)));
    }, 300);
  };
  const unsubscribe = ctx.live.subscribe((e: StreamEvent) => {
    const row = rows.find(e.machine);
    const known = row !== undefined;
    if (row) {
      row.state = stateAfter(e.kind) ?? row.state;
      row.lastSeen = e.kind === "machine.seen" ? e.at : row.lastSeen;
      drawSoon();
    }
    const f = filters();
    const reread = e.kind === "machine.forgotten" || e.kind.startsWith("machine.conflict");
    if (!known || f.search || f.state || f.label || reread) refreshSoon();
  });

  const form = h(
    "form",
    { role: "search", class: "filters", onsubmit: (e: Event) => e.preventDefault() },
    field("Search", search, "MAC, host name, serial, UUID or label value"),
    field("State", state),
    field("Label", label, "key=value"),
  );
  const node = h("section", { class: "machines-screen" }, heading("Machines"), form, count, errors, scroller);
  void rows.reset(fetcher()).then(draw, (err) => {
    count.textContent = "";
    replace(errors, errorBox(err));
  });
  return {
    title: "Machines",
    node,
    dispose: () => {
      unsubscribe();
      clearTimeout(refreshTimer);
      clearTimeout(typing);
      cancelAnimationFrame(frame);
    },
  };
}
