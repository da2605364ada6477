import type { Screen, ScreenContext } from "./screen.js";

/** A screen factory for a route; it may load data before it shows. */
export type ScreenFactory = (ctx: ScreenContext) => Screen | Promise<Screen>;

/** Routes are hash paths (`#/machines/52-54-00-…`): static files only, no server-side routing needed. */
export interface Route {
  path: RegExp;
  screen: ScreenFactory;
}

/** The parts of the current hash: the path and its query string. */
export function currentRoute(): { path: string; query: URLSearchParams } {
  const raw = location.hash.replace(/^#/, "") || "/machines";
  const [path, query] = raw.split("?", 2);
  return { path: path || "/machines", query: new URLSearchParams(query ?? "") };
}

/** Goes to a path inside the app. */
export function navigate(path: string): void {
  location.hash = `#${path}`;
}

/** Finds the route for a path and its captured parts (decoded). */
export function match(routes: Route[], path: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    const m = route.path.exec(path);
    if (m) return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return undefined;
}
