/** Reads a password from the terminal without echoing it. */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

/**
 * Asks for a secret on stderr and reads it from stdin with echo off. Only call when stdin is a terminal.
 * @param question the prompt, e.g. "Password for GE-A-…: "
 */
export function promptSecret(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!muted) process.stderr.write(chunk);
        callback();
      },
    });
    const rl = createInterface({ input: process.stdin, output, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
    muted = true;
    rl.on("SIGINT", () => {
      rl.close();
      reject(new Error("interrupted"));
    });
  });
}
