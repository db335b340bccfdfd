import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    globalSetup: ["test/helpers/global-setup.ts"],
    // Fails a file that leaves sockets, servers, child processes or timers open (test/README.md).
    setupFiles: ["test/helpers/leak-check.ts"],
  },
});
