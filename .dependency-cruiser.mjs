/**
 * The layer rules of src (STYLE habits 1, 9 and 15), checked by `npm run lint:deps` (part of `npm run check`).
 * Type-only imports count (tsPreCompilationDeps), so a layer cannot lean on a higher one even for a type.
 *
 * Layers, low to high; a file may import its own layer and the ones below, never one above:
 *   src/util, src/protocol          no I/O policy, no client; protocol may use util, util nothing else in src
 *   src/client/errors.ts,
 *   src/client/option-checks.ts      the client's base
 *   src/client/auth/                 token endpoint and token manager
 *   src/client/connection/           the session; may use auth
 *   src/client/posting/              contribute(): may use connection and auth
 *   src/client/consumer/             item streams: may use connection and auth, not posting
 *   src/client/*.ts                  the Contributor, its options, the status stream: any client folder
 *   src/simulator/                   util and protocol only: it shares the wire format, not the client
 *   src/gateway/                     the client through its entries only (src/index.ts, src/internal.ts)
 *   src/cli/                         only the entries (src/index.ts, src/simulator/index.ts, src/internal.ts,
 *                                    src/gateway/index.ts)
 * src/index.ts and src/internal.ts are entries: nothing in src imports them but the CLI and the gateway.
 */

/** Paths below a layer, as a regular expression alternation of path prefixes. */
const BASE = "^src/(util|protocol)/";
const CLIENT_BASE = `${BASE}|^src/client/(errors|option-checks)[.]ts$`;
const AUTH = `${CLIENT_BASE}|^src/client/auth/`;
const CONNECTION = `${AUTH}|^src/client/connection/`;

/** A rule forbidding `from` to import anything in src outside `allowed`. */
function layer(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: "error",
    from: { path: from },
    to: { path: "^src/", pathNot: allowed },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-circular",
      comment: "Imports go one way: a circle means two files are one concern, or a type sits in the wrong file.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    layer("util", "src/util is the bottom layer: it imports nothing else in src.", "^src/util/", "^src/util/"),
    layer("protocol", "src/protocol (message types and codec) may use src/util only.", "^src/protocol/", BASE),
    layer(
      "client-base",
      "The client's errors and option checks sit on util and protocol only.",
      "^src/client/(errors|option-checks)[.]ts$",
      CLIENT_BASE,
    ),
    layer("client-auth", "src/client/auth may use the client's base only.", "^src/client/auth/", AUTH),
    layer(
      "client-connection",
      "src/client/connection may use auth and the client's base, not posting, consumer or the client root.",
      "^src/client/connection/",
      CONNECTION,
    ),
    layer(
      "client-posting",
      "src/client/posting may use connection, auth and the client's base.",
      "^src/client/posting/",
      `${CONNECTION}|^src/client/posting/`,
    ),
    layer(
      "client-consumer",
      "src/client/consumer may use connection, auth and the client's base, not posting.",
      "^src/client/consumer/",
      `${CONNECTION}|^src/client/consumer/`,
    ),
    layer(
      "client",
      "The client (its root files included) never imports the simulator, the CLI or an entry.",
      "^src/client/",
      `${BASE}|^src/client/`,
    ),
    layer(
      "simulator",
      "The simulator shares the wire format (protocol) and util with the client, nothing else.",
      "^src/simulator/",
      `${BASE}|^src/simulator/`,
    ),
    layer(
      "gateway",
      "The gateway is a sibling product part: it uses the client through src/index.ts and src/internal.ts only.",
      "^src/gateway/",
      "^src/gateway/|^src/(index|internal)[.]ts$",
    ),
    layer(
      "cli",
      "The CLI uses the library through its entries only: src/index.ts, src/simulator/index.ts, src/internal.ts, src/gateway/index.ts.",
      "^src/cli/",
      "^src/cli/|^src/(index|internal|simulator/index|gateway/index)[.]ts$",
    ),
    {
      name: "entries-are-entries",
      comment: "src/index.ts and src/internal.ts are entries: only the CLI and the gateway import them.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(cli|gateway)/" },
      to: { path: "^src/(index|internal)[.]ts$" },
    },
    {
      name: "client-without-service-deps",
      comment:
        "The client keeps its own small option checker and needs no certificates: zod and selfsigned are the simulator's (the client's import time matters to one-shot commands).",
      severity: "error",
      from: { path: "^src/(client|util|protocol)/|^src/index[.]ts$" },
      to: { path: "(^|/)node_modules/(zod|selfsigned)/" },
    },
    {
      name: "no-dev-dependencies",
      comment: "src ships in the package: it may not need a devDependency at run time.",
      severity: "error",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "resolvable",
      comment: "Every import resolves (a typo in a path is caught here as well as by tsc).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: true,
  },
};
