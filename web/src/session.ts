import { EnforcerClient } from "./api.js";

const KEY = "enforcer.token";

/** Who is signed in: the client that carries the token, and what the token may do. */
export interface Session {
  client: EnforcerClient;
  name: string;
  role: "viewer" | "operator" | "admin";
}

/** Who the token belongs to, kept beside it: tokens never change role, so a reload need not ask again. */
const WHO = "enforcer.who";

/** The token kept from an earlier sign-in (this tab only, or this browser when asked to remember). */
export function storedToken(): { token: string; remember: boolean } | null {
  const token = sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  return token ? { token, remember: localStorage.getItem(KEY) !== null } : null;
}

/** The kept session without asking the server, when who it is was kept too (the caller checks it later). */
export function keptSession(): Session | null {
  const kept = storedToken();
  const store = kept?.remember ? localStorage : sessionStorage;
  try {
    const who = JSON.parse(store.getItem(WHO) ?? "null") as { name?: unknown; role?: unknown } | null;
    if (!kept || typeof who?.name !== "string" || !["viewer", "operator", "admin"].includes(String(who.role)))
      return null;
    return {
      client: new EnforcerClient(location.origin, kept.token),
      name: who.name,
      role: who.role as Session["role"],
    };
  } catch {
    return null;
  }
}

/** Checks a token with the server; keeps it only when it works. Throws the API's error otherwise. */
export async function signIn(token: string, remember: boolean): Promise<Session> {
  const client = new EnforcerClient(location.origin, token);
  const me = await client.tokens.whoami();
  forget();
  const store = remember ? localStorage : sessionStorage;
  store.setItem(KEY, token);
  store.setItem(WHO, JSON.stringify({ name: me.name, role: me.role }));
  return { client, name: me.name, role: me.role as Session["role"] };
}

/** Drops the kept token everywhere. */
export function forget(): void {
  for (const store of [sessionStorage, localStorage]) {
    store.removeItem(KEY);
    store.removeItem(WHO);
  }
}

/** True when the session's role is at least `role`. */
export function can(session: Session, role: Session["role"]): boolean {
  const order = ["viewer", "operator", "admin"];
  return order.indexOf(session.role) >= order.indexOf(role);
}
