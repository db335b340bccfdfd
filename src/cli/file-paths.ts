/**
 * File paths the `rcc` commands are given in flags, environment variables and config files. A shell expands `~`
 * only at the start of a word, so `--password-file=~/.rcc-pw`, `RCC_CA="~/ca.pem"` and a config file's
 * `"passwordFile": "~/.rcc-pw"` reach us as typed: we expand them the same way. A relative path in a config file
 * means the file next to it, wherever the command is run from.
 */
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";

/**
 * `path` with a leading `~` (alone, or followed by `/`, or `\` on Windows) replaced by the home directory;
 * anything else (`~user/…` included) as it is. Pure.
 * @param home the home directory. @default os.homedir() (HOME on POSIX, USERPROFILE on Windows)
 */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === "~") return home;
  if (path.startsWith("~/") || (process.platform === "win32" && path.startsWith("~\\"))) {
    return join(home, path.slice(2));
  }
  return path;
}

/**
 * A file path read from the config file `configFile`: `~` expanded ({@link expandHome}), then, when still
 * relative, taken from the config file's folder rather than the working directory. Pure.
 * @param home as for {@link expandHome}.
 */
export function configFilePath(path: string, configFile: string, home?: string): string {
  const expanded = expandHome(path, home);
  return isAbsolute(expanded) ? expanded : resolve(dirname(configFile), expanded);
}
