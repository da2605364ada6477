import { ApiError } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { LiveEvents } from "./live.js";
import { currentRoute, match, navigate, type Route } from "./router.js";
import { errorBox, type Screen } from "./screen.js";
import { assetsScreen } from "./screens/assets.js";
import { machineScreen } from "./screens/machine.js";
import { machinesScreen } from "./screens/machines.js";
import { profileScreen, profilesScreen } from "./screens/profiles.js";
import { settingsScreen } from "./screens/settings.js";
import { signInScreen } from "./screens/signin.js";
import { tokensScreen } from "./screens/tokens.js";
import { can, forget, keptSession, signIn, storedToken, type Session } from "./session.js";
import { StoreHealth } from "./store-health.js";
import { initTheme, themeButton } from "./theme.js";

const routes: Route[] = [
  { path: /^\/machines$/, screen: machinesScreen },
  { path: /^\/machines\/([^/]+)$/, screen: machineScreen },
  { path: /^\/profiles$/, screen: profilesScreen },
  { path: /^\/profiles\/([^/]+)$/, screen: profileScreen },
  { path: /^\/assets$/, screen: assetsScreen },
  { path: /^\/settings$/, screen: settingsScreen },
  { path: /^\/tokens$/, screen: tokensScreen },
];

let session: Session | undefined;
let live: LiveEvents | undefined;
let storeHealth: StoreHealth | undefined;
let current: Screen | undefined;
let renders = 0;
/** Why the kept token could not be used at start (shown on the sign-in screen once). */
let bootError: unknown;

const main = h("main", { id: "main", tabindex: -1 });
const nav = h("nav", { "aria-label": "Main" });
const liveBadge = h("span", { class: "live", role: "status" });
const storeBadge = h("span", { class: "store-state" });
/** The store's banner: a labelled region of its own, so it is read before the screen and stays across them. */
const storeBanner = h("section", { "aria-label": "Store status", class: "store-region", hidden: true });
const who = h("div", { class: "who" });

/** The page frame: skip button, header with navigation, the main area, and the status line. */
function shell(): void {
  const skip = h("button", { type: "button", class: "skip", onclick: () => main.focus() }, "Skip to content");
  const header = h(
    "header",
    { class: "top" },
    h("a", { href: "#/machines", class: "brand" }, "Enforcer"),
    nav,
    h("div", { class: "tools" }, liveBadge, storeBadge, themeButton(), who),
  );
  const status = h("div", { id: "status", role: "status", "aria-live": "polite", class: "status" });
  document.body.replaceChildren(skip, header, storeBanner, main, status);
}

/** Navigation for the signed-in role: tokens only for admins. */
function renderNav(): void {
  const { path } = currentRoute();
  const links: [string, string][] = [
    ["/machines", "Machines"],
    ["/profiles", "Profiles"],
    ["/assets", "Assets"],
    ["/settings", "Settings"],
  ];
  if (session && can(session, "admin")) links.push(["/tokens", "Tokens"]);
  replace(
    nav,
    session
      ? h(
          "ul",
          {},
          links.map(([href, text]) =>
            h(
              "li",
              {},
              h("a", { href: `#${href}`, "aria-current": path.startsWith(href) ? "page" : undefined }, text),
            ),
          ),
        )
      : null,
  );
  replace(
    who,
    session && [
      h("span", { class: "name" }, `${session.name} (${session.role})`),
      h("button", { type: "button", class: "secondary", onclick: signOut }, "Sign out"),
    ],
  );
}

function setLive(connected: boolean): void {
  liveBadge.textContent = connected ? "Live" : "Reconnecting…";
  liveBadge.className = connected ? "live on" : "live off";
}

/** Shows the screen for the current route; a newer navigation wins over a slower one. */
async function render(): Promise<void> {
  const n = ++renders;
  renderNav();
  current?.dispose?.();
  current = undefined;
  const { path, query } = currentRoute();
  let screen: Screen;
  if (!session || !live) {
    screen = signInScreen(onSignedIn, bootError);
    bootError = undefined;
  } else {
    const found = match(routes, path);
    if (!found) {
      navigate("/machines");
      return;
    }
    try {
      screen = await found.route.screen({ session, live, params: found.params, query });
    } catch (err) {
      if (err instanceof ApiError && err.code === "ENF_ERR_AUTH_INVALID") return signOut();
      screen = {
        title: "Error",
        node: h("section", {}, h("h1", { tabindex: -1 }, "Cannot show this"), errorBox(err)),
      };
    }
  }
  if (n !== renders) return screen.dispose?.();
  current = screen;
  replace(main, screen.node);
  document.title = `${screen.title} · Enforcer`;
  (main.querySelector("h1") ?? main).focus();
}

function start(s: Session): void {
  session = s;
  live?.close();
  live = new LiveEvents(s.client, setLive, signOut);
  storeHealth?.close();
  storeHealth = new StoreHealth(s.client, storeBanner, storeBadge);
}

async function onSignedIn(s: Session): Promise<void> {
  start(s);
  announce(`Signed in as ${s.name}`);
  if (currentRoute().path === "/signin") navigate("/machines");
  else await render();
}

function signOut(): void {
  forget();
  session = undefined;
  live?.close();
  live = undefined;
  storeHealth?.close();
  storeHealth = undefined;
  liveBadge.textContent = "";
  liveBadge.className = "live";
  announce("Signed out");
  void render();
}

async function boot(): Promise<void> {
  initTheme();
  shell();
  const kept = keptSession();
  const token = storedToken();
  if (kept) {
    // Shown at once; the token is checked alongside, and a revoked one signs out.
    start(kept);
    kept.client.tokens.whoami().catch((err) => {
      // Only if that session is still the one in use (someone may have signed in anew meanwhile).
      if (err instanceof ApiError && err.status === 401 && session === kept) signOut();
    });
  } else if (token) {
    try {
      start(await signIn(token.token, token.remember));
    } catch (err) {
      // A revoked token is dropped; an unreachable server keeps it, for the next try.
      if (err instanceof ApiError && err.status === 401) forget();
      bootError = err;
    }
  }
  window.addEventListener("hashchange", () => void render());
  await render();
}

void boot();
