import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/exit-codes.js";
import { AUTH_URLS, resolveSettings } from "../../src/cli/settings.js";

const dir = mkdtempSync(join(tmpdir(), "rcc-settings-"));
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
