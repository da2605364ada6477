import { Type, type TSchema } from "@sinclair/typebox";
import { CONFIG_STATES } from "../../domain/boot-config.js";
import { POWER_ACTIONS, POWER_DRIVERS } from "../../domain/power.js";
import { OS_FAMILIES } from "../../domain/profile.js";

/** What the machine list shows as a machine's state: its newest config's state, or none. */
export const MACHINE_STATES = ["none", ...CONFIG_STATES] as const;

/**
 * A JSON object whose keys all match `keyPattern` and are at most `maxKey` long, with values of one schema.
 * TypeBox's Record alone checks only the keys that match (any other key took any JSON value) and drops a
 * key's length limit, so every map in a body is built here.
 */
export function Dict<V extends TSchema>(keyPattern: string, maxKey: number, value: V, maxProperties = 64) {
  return Type.Record(Type.String({ pattern: keyPattern }), value, {
    additionalProperties: false,
    propertyNames: { maxLength: maxKey },
    maxProperties,
  });
}

const Vars = Dict("^[A-Za-z_][A-Za-z0-9_]{0,63}$", 64, Type.String({ maxLength: 2048 }));
/** Labels: the domain checks their form (ENF_ERR_LABEL_INVALID); the schema keeps them strings and short. */
const Labels = Dict("^.*$", 63, Type.String({ maxLength: 63 }));
const Url = Type.String({ maxLength: 2048, pattern: "^(https?|tftp)://\\S+$" });
const Template = Type.String({ maxLength: 262_144 });

/** A profile as created or replaced through the API. */
export const ProfileBody = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$" }),
    family: Type.Union(OS_FAMILIES.map((f) => Type.Literal(f))),
    location: Type.Optional(Url),
    provisioning: Type.Optional(Template),
    image: Type.Optional(Url),
    kernel: Type.Optional(Type.String({ maxLength: 2048 })),
    initrds: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 16 })),
    cmdline: Type.Optional(Type.String({ maxLength: 4096 })),
    ipxe: Type.Optional(Template),
    extraArgs: Type.Optional(Type.String({ maxLength: 2048 })),
    console: Type.Optional(Type.String({ maxLength: 64, pattern: "^[A-Za-z0-9,._-]*$" })),
    variables: Type.Optional(Vars),
    checksums: Type.Optional(
      Dict("^https?://\\S+$", 2048, Type.String({ pattern: "^[0-9a-fA-F]{64}$" }), 16),
    ),
  },
  { additionalProperties: false },
);

/** A new boot config: machine (any MAC notation), profile, and variables. */
export const ConfigBody = Type.Object(
  {
    machine: Type.String({ maxLength: 64 }),
    profile: Type.String({ maxLength: 64 }),
    variables: Type.Optional(Vars),
  },
  { additionalProperties: false },
);

/** Editable machine fields. */
export const MachinePatchBody = Type.Object(
  {
    hostname: Type.Optional(Type.Union([Type.String({ maxLength: 253 }), Type.Null()])),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
);

/** A machine registered by MAC before it boots. */
export const MachineBody = Type.Object(
  {
    mac: Type.String({ maxLength: 64 }),
    hostname: Type.Optional(Type.String({ maxLength: 253 })),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
);

/** Paging and filters for the machine list. */
export const MachineListQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 128 })),
    label: Type.Optional(Type.String({ maxLength: 200, pattern: "^[^=]+=[^=]*$" })),
    state: Type.Optional(Type.Union(MACHINE_STATES.map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);

/** Filters for the config list. */
export const ConfigListQuery = Type.Object(
  {
    machine: Type.Optional(Type.String({ maxLength: 64 })),
    state: Type.Optional(Type.Union(CONFIG_STATES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);

/** `:id` of a machine (any MAC notation) or a config. */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
/** `:name` of a profile. */
export const NameParams = Type.Object({ name: Type.String({ maxLength: 64 }) });

/** A new token: a name and a role. */
export const TokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Union(["viewer", "operator", "admin", "agent"].map((r) => Type.Literal(r))),
    /** An agent token only: the machine (a MAC) it speaks for, instead of its first report's. */
    machine: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** A command for a machine. */
export const CommandBody = Type.Object(
  { machine: Type.String({ maxLength: 64 }), type: Type.Literal("reboot") },
  { additionalProperties: false },
);

/** Discovery on or off, and the script that boots the discovery image. */
export const DiscoveryBody = Type.Object(
  {
    enabled: Type.Boolean(),
    url: Type.Optional(Type.String({ maxLength: 2048, pattern: "^(https?|tftp)://\\S+$" })),
  },
  { additionalProperties: false },
);

/** The remote Enforcer instances the general script asks, in order. */
export const RemotesBody = Type.Object(
  {
    remotes: Type.Array(
      Type.String({ maxLength: 2048, pattern: "^http://[A-Za-z0-9.\\-\\[\\]:]+(/[A-Za-z0-9._~/-]*)?$" }),
      {
        maxItems: 16,
      },
    ),
  },
  { additionalProperties: false },
);

/** Render a profile against a machine without storing anything. */
export const PreviewBody = Type.Object(
  { machine: Type.String({ maxLength: 64 }), variables: Type.Optional(Vars) },
  { additionalProperties: false },
);

/** Filters for the command list. */
export const CommandListQuery = Type.Object(
  {
    machine: Type.Optional(Type.String({ maxLength: 64 })),
    state: Type.Optional(
      Type.Union(["queued", "sent", "acknowledged", "failed", "timed-out"].map((s) => Type.Literal(s))),
    ),
  },
  { additionalProperties: false },
);

/** Filters and resume point for the event stream. */
export const EventStreamQuery = Type.Object(
  {
    machine: Type.Optional(Type.String({ maxLength: 64 })),
    after: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const Sha256 = Type.String({ pattern: "^[0-9a-fA-F]{64}$" });
/** A file to fetch into the boot asset cache ahead of any arm, and the sha256 it must have. */
export const AssetBody = Type.Object(
  { url: Type.String({ maxLength: 2048, pattern: "^https?://\\S+$" }), sha256: Type.Optional(Sha256) },
  { additionalProperties: false },
);
/** An uploaded asset's name (what the cache serves it as) and the sha256 it must have. */
export const AssetUploadParams = Type.Object({
  name: Type.String({ pattern: "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$" }),
});
/** The sha256 an uploaded asset must have. */
export const AssetUploadQuery = Type.Object(
  { sha256: Type.Optional(Sha256) },
  { additionalProperties: false },
);

const PowerDriver = Type.Union(POWER_DRIVERS.map((d) => Type.Literal(d)));
const BootMode = Type.Union([Type.Literal("uefi"), Type.Literal("legacy")]);
const PowerStateName = Type.Union(["on", "off", "unknown"].map((s) => Type.Literal(s)));

/**
 * A machine's power control as PUT: the schema bounds sizes and refuses unknown fields; parsePowerInput
 * (domain) then checks each field for its driver and names the one that is wrong (ENF_ERR_POWER_INVALID).
 */
export const PowerInputBody = Type.Object(
  {
    driver: PowerDriver,
    address: Type.Optional(Type.String({ maxLength: 270 })),
    username: Type.Optional(Type.String({ maxLength: 128 })),
    password: Type.Optional(Type.String({ maxLength: 128 })),
    cipherSuite: Type.Optional(Type.Integer({ minimum: 0, maximum: 17 })),
    bootMode: Type.Optional(BootMode),
    tlsFingerprint: Type.Optional(Type.String({ maxLength: 128 })),
    systemId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/**
 * A machine's power control as answered. It has no password field at all: the serializer writes only the
 * fields named here, so no change to the service can ever put a secret on the wire through this route.
 */
export const PowerViewAnswer = Type.Object({
  machine: Type.String(),
  driver: PowerDriver,
  address: Type.String(),
  username: Type.Optional(Type.String()),
  hasPassword: Type.Boolean({ description: "whether a password is stored; it is never shown" }),
  cipherSuite: Type.Optional(Type.Integer()),
  bootMode: Type.Optional(BootMode),
  tlsFingerprint: Type.Optional(Type.String()),
  systemId: Type.Optional(Type.String()),
  updatedAt: Type.String(),
  state: Type.Object({
    machine: Type.String(),
    state: PowerStateName,
    at: Type.String({ description: "when it was observed" }),
    error: Type.Optional(
      Type.Object({ code: Type.String(), message: Type.String({ description: "the BMC's words" }) }),
    ),
  }),
});

/** What one power action did. */
export const PowerOutcomeAnswer = Type.Object({
  machine: Type.String(),
  action: Type.Union(POWER_ACTIONS.map((a) => Type.Literal(a))),
  driver: PowerDriver,
  state: PowerStateName,
  detail: Type.String({ description: "the BMC's own words, short" }),
  at: Type.String(),
});

/** `:id` of a machine and the power action to run on it. */
export const PowerActionParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  action: Type.Union(POWER_ACTIONS.map((a) => Type.Literal(a))),
});
