#!/usr/bin/env node
// Entry point of the `rcc` command: loads the compiled CLI (built by `npm ci` through the `prepare` script).
import("../dist/cli/main.js").then(
  (cli) => cli.run(process.argv.slice(2)),
  (error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND") {
      process.stderr.write("rcc: the compiled CLI is missing; run `npm run build` (npm ci does it for you)\n");
    } else {
      process.stderr.write(`rcc: failed to start: ${error && error.message}\n`);
    }
    process.exitCode = 1;
  },
);
