import { EnforcerClient } from "./api.js";

const KEY = "enforcer.token";

/** Who is signed in: the client that carries the token, and what the token may do. */
export interface Session {
  client: EnforcerClient;
  name: string;
  role: "viewer" | "operator" | "admin";
}

/** The token kept from an earlier sign-in: this tab only, or this browser when asked to remember. */
export function storedToken(): string | null {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
}

/** Checks a token with the server; keeps it only when it works. Throws the API's error otherwise. */
export async function signIn(token: string, remember: boolean): Promise<Session> {
  const client = new EnforcerClient(location.origin, token);
  const me = await client.tokens.whoami();
  forget();
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
  return { client, name: me.name, role: me.role as Session["role"] };
}

/** Drops the kept token everywhere. */
export function forget(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

/** True when the session's role is at least `role`. */
export function can(session: Session, role: Session["role"]): boolean {
  const order = ["viewer", "operator", "admin"];
  return order.indexOf(session.role) >= order.indexOf(role);
}
