import { h, type Child } from "./dom.js";
import { bytes } from "./format.js";

/** One fact value as the API returns it: plain JSON. */
export type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

/** Words for the fact keys agents send; other keys are shown as they are. */
const KEY_WORDS: Record<string, string> = {
  vendor: "Vendor",
  product: "Product",
  serial: "Serial",
  uuid: "UUID",
  cpu: "CPU",
  model: "Model",
  count: "Count",
  memoryBytes: "Memory",
  memoryKiB: "Memory",
  disks: "Disks",
  nics: "Network interfaces",
  sizeBytes: "Size",
  name: "Name",
  mac: "MAC",
  driver: "Driver",
  link: "Link",
};

function scalar(key: string, v: Value): string {
  if (typeof v === "number" && /Bytes$/.test(key)) return bytes(v);
  if (typeof v === "number" && /KiB$/.test(key)) return bytes(v * 1024);
  if (typeof v === "boolean") return v ? "yes" : "no";
  return v === null ? "—" : String(v);
}

/** An array of objects as a table (disks, NICs); columns are the keys they have. */
function table(key: string, items: { [k: string]: Value }[]): HTMLElement {
  const cols = [...new Set(items.flatMap((o) => Object.keys(o)))];
  return h(
    "div",
    // Focusable and named: on a phone the table scrolls sideways, which a keyboard must be able to do.
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": KEY_WORDS[key] ?? key },
    h(
      "table",
      { class: "facts-table" },
      h("caption", { class: "visually-hidden" }, KEY_WORDS[key] ?? key),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          cols.map((c) => h("th", { scope: "col" }, KEY_WORDS[c] ?? c)),
        ),
      ),
      h(
        "tbody",
        {},
        items.map((o) =>
          h(
            "tr",
            {},
            cols.map((c) => h("td", {}, render(c, o[c] ?? null))),
          ),
        ),
      ),
    ),
  );
}

function render(key: string, v: Value): Child {
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x)))
      return table(key, v as { [k: string]: Value }[]);
    return v.map((x) => scalar(key, x as Value)).join(", ") || "—";
  }
  if (v !== null && typeof v === "object") return factsList(v);
  return scalar(key, v);
}

/** Facts as a definition list; everything goes in as text, never as markup. */
export function factsList(facts: { [k: string]: Value }): HTMLElement {
  const entries = Object.entries(facts);
  if (entries.length === 0)
    return h("p", {}, "No facts yet: they arrive when an agent reports this machine.");
  return h(
    "dl",
    { class: "facts" },
    entries.map(([k, v]) => [h("dt", {}, KEY_WORDS[k] ?? k), h("dd", {}, render(k, v))]),
  );
}
