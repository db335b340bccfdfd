import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/exit-codes.js";
import { AUTH_URLS, endpointUrl, resolveSettings } from "../../src/cli/settings.js";

const dir = mkdtempSync(join(tmpdir(), "rcc-settings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("settings precedence", () => {
  it("takes flags over environment over config file over defaults", async () => {
    const config = file(
      "a.json",
      JSON.stringify({ user: "from-file", appId: "300", service: "SVC_FILE", position: "1.2.3.4/file" }),
    );
    const settings = await resolveSettings(
      { user: "from-flag", config },
      { RCC_USER: "from-env", RCC_APP_ID: "400", RCC_URLS: "ws://127.0.0.1:1/WebSocket, ws://127.0.0.1:2/WebSocket" },
    );
    expect(settings.user).toBe("from-flag");
    expect(settings.appId).toBe("400");
    expect(settings.service).toBe("SVC_FILE");
    expect(settings.position).toBe("1.2.3.4/file");
    expect(settings.urls).toEqual(["ws://127.0.0.1:1/WebSocket", "ws://127.0.0.1:2/WebSocket"]);
  });

  it("defaults the application id to 256 and the service to DDS_TRCE", async () => {
    const settings = await resolveSettings({}, {});
    expect(settings.appId).toBe("256");
    expect(settings.service).toBe("DDS_TRCE");
    expect(settings.urls).toEqual([]);
    expect(settings.password).toBeUndefined();
  });

  it("resolves the user-name login and the post mode like the other settings (flag > env > config), off-stream by default", async () => {
    expect(await resolveSettings({}, {})).toMatchObject({ postMode: "off-stream" });
    expect((await resolveSettings({}, {})).loginName).toBeUndefined();
    const config = file("ads.json", JSON.stringify({ loginName: "from-file", postMode: "on-stream" }));
    expect(await resolveSettings({ config }, {})).toMatchObject({ loginName: "from-file", postMode: "on-stream" });
    expect(
      await resolveSettings({ config }, { RCC_LOGIN_NAME: "from-env", RCC_POST_MODE: "off-stream" }),
    ).toMatchObject({ loginName: "from-env", postMode: "off-stream" });
    expect(
      await resolveSettings({ config, loginName: "from-flag", postMode: "on-stream" }, { RCC_LOGIN_NAME: "from-env" }),
    ).toMatchObject({ loginName: "from-flag", postMode: "on-stream" });
    await expect(resolveSettings({}, { RCC_POST_MODE: "On-Stream" })).rejects.toThrow(
      "--post-mode must be one of off-stream, on-stream, got 'On-Stream'",
    );
    await expect(resolveSettings({ loginName: "a\nb" }, {})).rejects.toThrow(/control characters/);
  });

  it("maps --env to LSEG's token endpoints and lets a flag --auth-url beat an environment RCC_ENV", async () => {
    expect((await resolveSettings({ env: "ppe" }, {})).authUrl).toBe(AUTH_URLS.ppe);
    expect((await resolveSettings({ authUrl: "http://127.0.0.1:9/t" }, { RCC_ENV: "prod" })).authUrl).toBe(
      "http://127.0.0.1:9/t",
    );
    await expect(resolveSettings({ env: "uat" }, {})).rejects.toThrow(/'ppe' or 'prod'/);
  });

  it("reads the password from a file without its trailing newline and records where it came from", async () => {
    const passwordFile = file("pw", "s3cret-value\n");
    const fromFile = await resolveSettings({ passwordFile }, { RCC_PASSWORD: "env-pw" });
    expect(fromFile).toMatchObject({ password: "s3cret-value", passwordSource: "file" });
    expect(await resolveSettings({ password: "flag-pw" }, {})).toMatchObject({
      password: "flag-pw",
      passwordSource: "flag",
    });
    expect(await resolveSettings({}, { RCC_PASSWORD: "env-pw" })).toMatchObject({
      password: "env-pw",
      passwordSource: "env",
    });
  });

  it("names the problem with a bad config file and never echoes its contents", async () => {
    const broken = file("broken.json", '{"password": "leaky-secret",');
    const error = await resolveSettings({ config: broken }, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toContain("is not valid JSON");
    expect((error as CliError).message).not.toContain("leaky-secret");
    const unknown = file("unknown.json", JSON.stringify({ usr: "x" }));
    await expect(resolveSettings({ config: unknown }, {})).rejects.toThrow(/unknown keys: usr/);
    await expect(resolveSettings({ config: join(dir, "missing.json") }, {})).rejects.toThrow(/ENOENT/);
  });
});

describe("the endpoint from LSEG's Python example (--hostname, --port, --scheme)", () => {
  it("builds <scheme>://<host>:<port>/WebSocket, wss by default, the scheme's own port without --port", async () => {
    expect((await resolveSettings({ hostname: "rcc.example.com", port: "443" }, {})).urls).toEqual([
      "wss://rcc.example.com:443/WebSocket",
    ]);
    expect((await resolveSettings({ hostname: "127.0.0.1", port: "15000", scheme: "ws" }, {})).urls).toEqual([
      "ws://127.0.0.1:15000/WebSocket",
    ]);
    expect((await resolveSettings({ hostname: "rcc.example.com" }, {})).urls).toEqual([
      "wss://rcc.example.com/WebSocket",
    ]);
    expect(endpointUrl("::1", "8443", "wss")).toBe("wss://[::1]:8443/WebSocket");
  });

  it("takes each of them from flags over environment over config file, a JSON number as a port too", async () => {
    const config = file("host.json", JSON.stringify({ hostname: "file.example", port: 1001, scheme: "ws" }));
    expect((await resolveSettings({ config }, {})).urls).toEqual(["ws://file.example:1001/WebSocket"]);
    const env = { RCC_HOSTNAME: "env.example", RCC_PORT: "2002" };
    expect((await resolveSettings({ config }, env)).urls).toEqual(["ws://env.example:2002/WebSocket"]);
    expect((await resolveSettings({ config, port: "3003", scheme: "wss" }, env)).urls).toEqual([
      "wss://env.example:3003/WebSocket",
    ]);
  });

  it("lets the higher layer win between --url and --hostname, and refuses both from the same layer", async () => {
    const url = "ws://127.0.0.1:9/WebSocket";
    expect((await resolveSettings({ hostname: "flag.example" }, { RCC_URLS: url })).urls).toEqual([
      "wss://flag.example/WebSocket",
    ]);
    expect((await resolveSettings({ url: [url] }, { RCC_HOSTNAME: "env.example" })).urls).toEqual([url]);
    await expect(resolveSettings({ url: [url], hostname: "flag.example" }, {})).rejects.toThrow(
      "--hostname and --url both give the RCC endpoint: use one of them",
    );
    await expect(resolveSettings({}, { RCC_URLS: url, RCC_HOSTNAME: "env.example" })).rejects.toThrow(
      "RCC_HOSTNAME and RCC_URLS both give the RCC endpoint: use one of them",
    );
  });

  it("refuses a port without a host, a port outside 1-65535, a URL as host, and another scheme (exit 1)", async () => {
    const refusal = async (flags: Parameters<typeof resolveSettings>[0], env: NodeJS.ProcessEnv, message: string) => {
      const error = await resolveSettings(flags, env).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(1);
      expect((error as CliError).message).toBe(message);
    };
    await refusal(
      { port: "443" },
      {},
      "--port needs --hostname (or RCC_HOSTNAME): the endpoint is wss://HOST:PORT/WebSocket; or give the whole URL with --url",
    );
    await refusal(
      {},
      { RCC_PORT: "443" },
      "RCC_PORT needs --hostname (or RCC_HOSTNAME): the endpoint is wss://HOST:PORT/WebSocket; or give the whole URL with --url",
    );
    for (const port of ["0", "65536", "44x", "-1", "1.5"]) {
      await refusal({ hostname: "h", port }, {}, `--port must be a whole number from 1 to 65535, got '${port}'`);
    }
    await refusal(
      { hostname: "wss://rcc.example.com" },
      {},
      "--hostname takes a host name or IP address only, got 'wss://rcc.example.com'; give a whole URL with --url instead",
    );
    await refusal(
      { hostname: "rcc.example.com:443" },
      {},
      "--hostname must be a host name or an IP address, got 'rcc.example.com:443'; give the port with --port",
    );
    await refusal({ hostname: "h" }, { RCC_SCHEME: "https" }, "--scheme must be one of wss, ws, got 'https'");
  });

  it("passes the token request's scope through from flag, environment or config file", async () => {
    expect((await resolveSettings({}, {})).scope).toBeUndefined();
    const config = file("scope.json", JSON.stringify({ scope: "trapi" }));
    expect((await resolveSettings({ config }, {})).scope).toBe("trapi");
    expect((await resolveSettings({ config }, { RCC_SCOPE: "env-scope" })).scope).toBe("env-scope");
    expect((await resolveSettings({ config, scope: "flag-scope" }, { RCC_SCOPE: "env-scope" })).scope).toBe(
      "flag-scope",
    );
  });
});

describe("file paths in settings", () => {
  it("reads a relative passwordFile and ca of a config file from the config file's folder", async () => {
    const folder = join(dir, "config-folder");
    mkdirSync(folder);
    writeFileSync(join(folder, "pw.txt"), "from-next-to-config\n", { mode: 0o600 });
    const config = join(folder, "rcc.json");
    writeFileSync(config, JSON.stringify({ passwordFile: "pw.txt", ca: "certs/ca.pem" }));
    const settings = await resolveSettings({ config }, {});
    expect(settings).toMatchObject({ password: "from-next-to-config", passwordSource: "file" });
    expect(settings.ca).toBe(join(folder, "certs", "ca.pem"));
    // A flag's relative path stays relative to the working directory.
    expect((await resolveSettings({ config, ca: "mine.pem" }, {})).ca).toBe("mine.pem");
  });

  it("expands ~ and ~/ to HOME in the config path, password file and CA, from flags, environment and config", async () => {
    const home = join(dir, "home");
    mkdirSync(home);
    writeFileSync(join(home, ".rcc-pw"), "home-secret\n", { mode: 0o600 });
    writeFileSync(join(home, "rcc.json"), JSON.stringify({ ca: "~/ca.pem" }));
    const env = { HOME: home };
    expect(await resolveSettings({ passwordFile: "~/.rcc-pw" }, env)).toMatchObject({ password: "home-secret" });
    expect(await resolveSettings({}, { ...env, RCC_PASSWORD_FILE: "~/.rcc-pw" })).toMatchObject({
      password: "home-secret",
    });
    expect((await resolveSettings({ config: "~/rcc.json" }, env)).ca).toBe(join(home, "ca.pem"));
    expect((await resolveSettings({ ca: "~" }, env)).ca).toBe(home);
    expect((await resolveSettings({ ca: "~other/ca.pem" }, env)).ca).toBe("~other/ca.pem");
  });
});
