/**
 * Secrets other users of the machine can read: a password file or a config file holding a password that is
 * readable by group or others (ssh's rule for private keys: any of the bits 0o077) gets a one-line warning
 * naming the file, its mode and the fix; `--admin-token` on the command line (visible in `ps`) gets the same
 * warning as `--password`, and its file alternative is checked like a password file.
 */
import { chmodSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runCli, spawnCli, stopAllCli, tempFiles } from "../../helpers/cli.js";

const files = tempFiles();
afterEach(async () => {
  await stopAllCli();
});
afterAll(() => files.remove());

function secretFile(name: string, text: string, mode: number): string {
  const path = files.write(name, text);
  chmodSync(path, mode);
  return path;
}

/** `rcc contribute --dry-run` resolves every setting (the password file included) and connects to nothing. */
function dryRun(args: string[], env: Record<string, string> = {}) {
  const csv = files.write("rows.csv", "RIC,BID\nTRCCTEST01,1\n");
  return runCli(["contribute", csv, "--dry-run", "--no-progress", "--user", "GE-A-00000033-1-0033", ...args], { env });
}

/** Runs `rcc simulate --json` with `args` until it is ready, stops it with SIGTERM, and returns its stderr. */
async function simulateStderr(args: string[]): Promise<{ stderr: string; code: number | null }> {
  const child = spawnCli(["simulate", "--json", "--log-level", "silent", ...args]);
  await child.waitFor(/"adminUrl"/);
  child.child.kill("SIGTERM");
  const result = await child.exited;
  return { stderr: result.stderr, code: result.code };
}

describe("secret files readable by others", () => {
  it("warns once about a password file of mode 0644, naming it, its mode and chmod 600, and still uses it", async () => {
    const path = secretFile("pw-open", "file-mode-password\n", 0o644);
    const run = await dryRun(["--password-file", path]);
    expect(run.code).toBe(0);
    const warnings = run.stderr.split("\n").filter((line) => line.includes("warning"));
    expect(warnings).toEqual([
      `rcc: warning: the password file '${path}' is accessible by other users (mode 0644); make it private: chmod 600 ${path}`,
    ]);
  });

  it("says nothing about a password file of mode 0600, given by flag or by RCC_PASSWORD_FILE", async () => {
    const path = secretFile("pw-private", "file-mode-password\n", 0o600);
    const [byFlag, byEnv] = await Promise.all([
      dryRun(["--password-file", path]),
      dryRun([], { RCC_PASSWORD_FILE: path }),
    ]);
    for (const run of [byFlag, byEnv]) {
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain("warning");
    }
  });

  it("warns about RCC_PASSWORD_FILE of mode 0640 too", async () => {
    const path = secretFile("pw-group", "file-mode-password\n", 0o640);
    const run = await dryRun([], { RCC_PASSWORD_FILE: path });
    expect(run.stderr).toContain(`the password file '${path}' is accessible by other users (mode 0640)`);
  });

  it("warns about a config file of mode 0644 that holds a password, not about one that holds none", async () => {
    const withPassword = secretFile("with.json", JSON.stringify({ password: "config-password-1" }), 0o644);
    const without = secretFile("without.json", JSON.stringify({ service: "DDS_TRCE" }), 0o644);
    const privateOne = secretFile("private.json", JSON.stringify({ password: "config-password-1" }), 0o600);
    const [open, none, closed] = await Promise.all([
      dryRun(["--config", withPassword]),
      dryRun(["--config", without]),
      dryRun(["--config", privateOne]),
    ]);
    expect(open.stderr).toContain(
      `rcc: warning: the config file (it holds a secret) '${withPassword}' is accessible by other users (mode 0644); make it private: chmod 600 ${withPassword}`,
    );
    expect(none.stderr).not.toContain("warning");
    expect(closed.stderr).not.toContain("warning");
  });
});

describe("the simulator's admin token", () => {
  it("warns that --admin-token is visible to other users, as --password does, and names the alternatives", async () => {
    const { stderr, code } = await simulateStderr(["--admin-token", "admin-token-on-the-command-line"]);
    expect(code).toBe(0);
    expect(stderr).toContain(
      "rcc: warning: --admin-token is visible to other users of this machine (ps); prefer --admin-token-file or RCC_SIM_ADMIN_TOKEN",
    );
    expect(stderr).not.toContain("admin-token-on-the-command-line");
  });

  it("reads --admin-token-file, warning only when the file is not private, and requires the token it holds", async () => {
    const open = secretFile("admin-open", "admin-token-from-a-file\n", 0o644);
    const closed = secretFile("admin-private", "admin-token-from-a-file\n", 0o600);
    const [warned, quiet] = await Promise.all([
      simulateStderr(["--admin-token-file", open]),
      simulateStderr(["--admin-token-file", closed]),
    ]);
    expect(warned.stderr).toContain(`the admin token file '${open}' is accessible by other users (mode 0644)`);
    expect(quiet.stderr).not.toContain("warning");
    const child = spawnCli(["simulate", "--json", "--log-level", "silent", "--admin-token-file", closed]);
    await child.waitFor(/"adminUrl"/);
    const { adminUrl } = JSON.parse(child.stdout.split("\n")[0] ?? "{}") as { adminUrl: string };
    const refused = await fetch(`${adminUrl}/state`);
    const allowed = await fetch(`${adminUrl}/state`, { headers: { authorization: "Bearer admin-token-from-a-file" } });
    expect([refused.status, allowed.status]).toEqual([401, 200]);
    child.child.kill("SIGTERM");
    await child.exited;
  });

  it("says nothing when the token comes from RCC_SIM_ADMIN_TOKEN, and refuses both flags at once", async () => {
    const child = spawnCli(["simulate", "--json", "--log-level", "silent"], {
      env: { RCC_SIM_ADMIN_TOKEN: "admin-token-from-the-environment" },
    });
    await child.waitFor(/"adminUrl"/);
    child.child.kill("SIGTERM");
    expect((await child.exited).stderr).not.toContain("warning");
    const path = secretFile("admin-both", "t0ken-both\n", 0o600);
    const both = await runCli(["simulate", "--admin-token", "x-token", "--admin-token-file", path]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--admin-token and --admin-token-file exclude each other");
  });
});
