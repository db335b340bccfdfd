/**
 * The flags of LSEG's Python example, end to end against the simulator: `--hostname`/`--port` (with `--scheme`)
 * build the endpoint, `--app_id` and `--auth_url` are hidden aliases of `--app-id` and `--auth-url`, `--scope`
 * reaches the token request, the usage errors of a half-given endpoint, and a mistyped flag next to a missing
 * required one reports the typo first.
 */
import { describe, expect, it } from "vitest";
import { runCli, simEnv, tokenRecorder, useSharedSimulator } from "../helpers/cli.js";

const shared = useSharedSimulator();

/** The simulator's first WebSocket listener as the example's --hostname and --port. */
function hostAndPort(): { hostname: string; port: string } {
  const url = new URL(shared.sim.wsUrls[0]!);
  return { hostname: url.hostname, port: url.port };
}

/** The example's own flags for the simulator's account (the password through RCC_PASSWORD). */
function tutorialFlags(): string[] {
  const { hostname, port } = hostAndPort();
  const user = shared.sim.accounts[0]!.user;
  return [
    ...["--user", user, "--clientid", user, "--auth_url", shared.sim.authUrl],
    ...["--hostname", hostname, "--port", port, "--scheme", "ws"],
  ];
}

/** The Elements of the last Login the simulator received. */
function lastLoginElements(): Record<string, unknown> {
  const login = shared.sim.state.recordedMessages.toArray().findLast((entry) => {
    const message = entry.message as { Domain?: string; Type?: string };
    return message.Domain === "Login" && message.Type === undefined;
  });
  return (login?.message as { Key: { Elements: Record<string, unknown> } }).Key.Elements;
}

describe("LSEG's Python example flags", () => {
  it("posts through --hostname/--port/--scheme ws with --auth_url and --app_id, as the example is run", async () => {
    const result = await runCli(
      [
        "post",
        ...tutorialFlags(),
        ...["--app_id", "312", "--position", "10.1.2.3/tutorial-host"],
        ...["--ric", "TRCCTEST01", "--field", "BID=12.5"],
      ],
      { env: simEnv(shared.sim) },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(shared.sim.state.contributions("TRCCTEST01").at(-1)?.fields).toEqual({ BID: 12.5 });
    expect(lastLoginElements()).toMatchObject({ ApplicationId: "312", Position: "10.1.2.3/tutorial-host" });
  });

  it("builds the endpoint from RCC_HOSTNAME, RCC_PORT and RCC_SCHEME too", async () => {
    const { hostname, port } = hostAndPort();
    const result = await runCli(
      ["post", "--auth-url", shared.sim.authUrl, "--user", shared.sim.accounts[0]!.user, "--ric", "TRCCTEST02"].concat([
        "--field",
        "ASK=7.25",
      ]),
      { env: { ...simEnv(shared.sim), RCC_HOSTNAME: hostname, RCC_PORT: port, RCC_SCHEME: "ws" } },
    );
    expect(result.code).toBe(0);
    expect(shared.sim.state.contributions("TRCCTEST02").at(-1)?.fields).toEqual({ ASK: 7.25 });
  });

  it("runs rcc demo against --hostname instead of the embedded simulator", async () => {
    const before = shared.sim.state.contributions("TRCCTEST03").length;
    const result = await runCli(["demo", ...tutorialFlags(), "--ric", "TRCCTEST03", "--count", "1", "--json"], {
      env: simEnv(shared.sim),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("embedded");
    expect(shared.sim.state.contributions("TRCCTEST03")).toHaveLength(before + 1);
  });

  it("sends --scope (and RCC_SCOPE) in the token request, and no scope when neither is given", async () => {
    const recorder = await tokenRecorder(shared.sim.authUrl);
    try {
      const user = shared.sim.accounts[0]!.user;
      const token = (extra: string[], env: Record<string, string> = {}) =>
        runCli(["token", "--auth_url", recorder.url, "--user", user, ...extra], {
          env: { ...simEnv(shared.sim), ...env },
        });
      expect((await token(["--scope", "trapi.contributions"])).code).toBe(0);
      expect((await token([], { RCC_SCOPE: "from-env" })).code).toBe(0);
      expect((await token([])).code).toBe(0);
      expect(recorder.forms.map((form) => [form.get("grant_type"), form.get("scope")])).toEqual([
        ["password", "trapi.contributions"],
        ["password", "from-env"],
        ["password", null],
      ]);
    } finally {
      await recorder.close();
    }
  });

  it("lets rcc token take the whole flag set of the example, and rcc watch resolve --hostname like the others", async () => {
    const token = await runCli(["token", ...tutorialFlags(), "--app_id", "256", "--json"], { env: simEnv(shared.sim) });
    expect(token.code).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ user: shared.sim.accounts[0]!.user });
    const watch = await runCli(["watch", "TRCCTEST01", ...tutorialFlags(), "--url", shared.sim.wsUrls[0]!], {
      env: simEnv(shared.sim),
    });
    expect(watch.code).toBe(1);
    expect(watch.stderr.trim()).toBe("rcc: --hostname and --url both give the RCC endpoint: use one of them");
  });

  it("keeps the underscore aliases out of --help but lists --hostname, --port, --scheme and --scope", async () => {
    const result = await runCli(["post", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--hostname <host>/);
    expect(result.stdout).toMatch(/--port <port>/);
    expect(result.stdout).toMatch(/--scheme <scheme>/);
    expect(result.stdout).toMatch(/--scope <scope>/);
    expect(result.stdout).not.toMatch(/--app_id|--auth_url/);
  });
});

describe("usage errors of the example's flags (exit 1, one line, nothing connected)", () => {
  async function refused(args: string[], env: Record<string, string> = {}): Promise<string> {
    const logins = shared.sim.state.snapshot(Date.now()).counters.logins;
    const result = await runCli(["post", "--ric", "TRCCTEST01", "--field", "BID=1", ...args], {
      env: { ...simEnv(shared.sim), ...env },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(shared.sim.state.snapshot(Date.now()).counters.logins).toBe(logins);
    return result.stderr.trim();
  }

  it("refuses --port without --hostname", async () => {
    expect(await refused(["--url", shared.sim.wsUrls[0]!, "--port", "443"])).toBe(
      "rcc: --port needs --hostname (or RCC_HOSTNAME): the endpoint is wss://HOST:PORT/WebSocket; or give the whole URL with --url",
    );
  });

  it("refuses a port outside 1-65535", async () => {
    expect(await refused(["--hostname", "127.0.0.1", "--port", "70000"])).toBe(
      "rcc: --port must be a whole number from 1 to 65535, got '70000'",
    );
    expect(await refused(["--hostname", "127.0.0.1"], { RCC_PORT: "0" })).toBe(
      "rcc: --port must be a whole number from 1 to 65535, got '0'",
    );
  });

  it("refuses --hostname together with --url", async () => {
    expect(await refused(["--hostname", "127.0.0.1", "--url", shared.sim.wsUrls[0]!])).toBe(
      "rcc: --hostname and --url both give the RCC endpoint: use one of them",
    );
  });

  it("refuses a --scheme other than wss and ws (commander's choices)", async () => {
    const result = await runCli(["post", "--hostname", "h", "--scheme", "https", "--ric", "X", "--field", "BID=1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "rcc: option '--scheme <scheme>' argument 'https' is invalid. Allowed choices are wss, ws.",
    );
  });
});

describe("a mistyped flag next to a missing required one", () => {
  it("reports the unknown option with commander's suggestion, not the missing --ric", async () => {
    const result = await runCli(["post", "--rci", "TRCCTEST01", "--field", "BID=1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("rcc: unknown option '--rci' (Did you mean --ric?)\n");
    expect(result.stderr).not.toContain("required option");
  });

  it("still reports a missing --ric when nothing is mistyped", async () => {
    const result = await runCli(["post", "--field", "BID=1"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("rcc: required option '--ric <ric>' not specified");
  });
});
