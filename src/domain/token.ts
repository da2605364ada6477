/** Roles, from least to most trusted; `agent` stands apart and only reaches agent endpoints. */
export const ROLES = ["viewer", "operator", "admin", "agent"] as const;
/** One of ROLES. */
export type Role = (typeof ROLES)[number];

/** A stored API token: never the secret itself, only its SHA-256. */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
}

/** True when a token of role `have` may call a route that needs `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  if (need === "agent") return have === "agent" || have === "admin";
  if (have === "agent") return false;
  const rank = { viewer: 0, operator: 1, admin: 2 } as const;
  return rank[have] >= rank[need];
}
