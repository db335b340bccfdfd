/**
 * Hostile peers: a server that answers posts with Acks and Naks whose `AckID` is not a PostID (§2.9: an int
 * equal to the post's PostID), whose `NakCode` is no code, or whose Login Refresh advertises an unusable
 * `TRCE:MaxMessagesPerSecond` (§3.3). Under `Number()` `true`, `"0x1"`, `[1]` or `" 1"` all named post 1;
 * now none of them settles anything, the post waits for its real Ack, and each kind of protocol error is
 * logged once per connection however often it comes. Real sockets on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Contributor } from "../../../src/client/contributor.js";
import type { ContributorOptions } from "../../../src/client/options.js";
import { NakError } from "../../../src/client/errors.js";
import { fixedTokenAuth } from "../helpers/fake-rcc-server.js";
import { LogCapture } from "../helpers/log-capture.js";
import { HostileRccServer, type ReceivedPost, ack, nak } from "./helpers/hostile-rcc-server.js";

const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function serve(options: Parameters<typeof HostileRccServer.start>[0]): Promise<HostileRccServer> {
  const server = await HostileRccServer.start(options);
  open.push(server);
  return server;
}

function contributor(server: HostileRccServer, logs: LogCapture, options: Partial<ContributorOptions> = {}) {
  const client = new Contributor({
    urls: [server.url],
    auth: fixedTokenAuth(),
    backoff: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 },
    drainTimeoutMs: 0,
    ackTimeoutMs: 5000,
    log: logs.logger,
    ...options,
  });
  open.push(client);
  return client;
}

/** AckIDs that `Number()` reads as `postId` (or, for post 1, as 1) but that are not a PostID. */
function malformedAckIds(postId: number): unknown[] {
  const forms: unknown[] = [
    [postId],
    ` ${postId}`,
    `${postId} `,
    `+${postId}`,
    `${postId}e0`,
    `${postId}.0`,
    `0x${postId.toString(16)}`,
    ` ${postId}e0 `,
    postId + 0.5,
    -postId,
    { id: postId },
    `\uff10${postId}`, // a full-width zero: a digit to Unicode, not to the wire
  ];
  if (postId === 1) forms.push(true, " ne0 ", "1e0", "0b1", "0o1", "", null, "\t1\n");
  return forms;
}

/** Logged protocol-error lines of `kind`. */
function protocolLines(logs: LogCapture, kind: string): string[] {
  return logs.lines.filter((line) => line.includes("server protocol error") && line.includes(`"kind":"${kind}"`));
}

/** Resolves on the next turn after every frame sent so far has surely been read (a Ping round trip). */
async function settleFrames(server: HostileRccServer): Promise<void> {
  const pongs = server.receivedOfType("Pong").length;
  server.send([{ Type: "Ping" }]);
  await server.waitFor(() => server.receivedOfType("Pong").length > pongs, 2000, "the Pong");
}

describe("a server sending malformed AckIDs", () => {
  it("no malformed AckID settles a post: each waits for its real Ack, and the error is logged once", async () => {
    // Each post is answered at once with Acks and Naks under every malformed AckID for it; the real Ack waits.
    const server = await serve({
      maxMessagesPerSecond: 1000,
      onPost: (post, connection) => {
        const ids = malformedAckIds(post.postId);
        connection.send([...ids.map((id) => ack(id)), ...ids.map((id) => nak(id, "SymbolUnknown", "refused"))]);
      },
    });
    const logs = new LogCapture();
    const client = contributor(server, logs);
    await client.connect();

    for (const [index, ric] of ["TRCCTEST01", "TRCCTEST02", "TRCCTEST03"].entries()) {
      const outcome: { settled?: string } = {};
      const pending = client.contribute(ric, { BID: index });
      pending.then(
        () => (outcome.settled = "ack"),
        (error: unknown) => (outcome.settled = String(error)),
      );
      await server.waitForPosts(index + 1);
      const post = server.posts[index] as ReceivedPost;
      await settleFrames(server);
      expect(outcome.settled).toBeUndefined();
      expect(client.stats().inFlight).toBe(1);

      server.send([ack(post.postId)]);
      await expect(pending).resolves.toMatchObject({ ric, postId: post.postId });
    }
    const sentMalformed = [1, 2, 3].reduce((total, postId) => total + 2 * malformedAckIds(postId).length, 0);
    expect(client.stats().errors.protocol).toBe(sentMalformed);
    expect(client.stats()).toMatchObject({ acked: 3, naked: {}, errors: { unmatchedAcks: 0 } });
    expect(protocolLines(logs, "ack-id")).toHaveLength(1);
  });

  it("a decimal-digit string AckID, as the reference servers send it, still acknowledges its post", async () => {
    const server = await serve({
      onPost: (post, connection) => connection.send([ack(String(post.postId))]),
    });
    const logs = new LogCapture();
    const client = contributor(server, logs);
    await client.connect();
    await expect(client.contribute("TRCCTEST01", { BID: 1 })).resolves.toMatchObject({ postId: 1 });
    expect(client.stats().errors.protocol).toBe(0);
    expect(protocolLines(logs, "ack-id")).toEqual([]);
  });

  it("a Nak whose NakCode is no code rejects its post as Malformed, logged once", async () => {
    const codes: unknown[] = [true, { code: 10 }, [10], 1.5, -3, ""];
    let next = 0;
    const server = await serve({
      onPost: (post, connection) => connection.send([nak(post.postId, codes[next++ % codes.length], "refused")]),
    });
    const logs = new LogCapture();
    const client = contributor(server, logs);
    await client.connect();
    const outcomes = await Promise.allSettled(
      codes.map((_, index) => client.contribute(`TRCCTEST0${index}`, { BID: 1 })),
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      const reason = (outcome as PromiseRejectedResult).reason as NakError;
      expect(reason).toBeInstanceOf(NakError);
      expect(reason.nakCode).toBe("Malformed");
    }
    expect(client.stats().naked).toEqual({ Malformed: codes.length });
    expect(protocolLines(logs, "nak-code")).toHaveLength(1);
  });
});

describe("a server advertising an unusable rate limit", () => {
  it.each([
    ["text", "abc", 1000],
    ["a negative number", -5, 1000],
    ["zero", 0, 1000],
    ["a boolean", true, 1000],
    ["a hexadecimal string", "0x10", 1000],
    ["a rate beyond any server", 1e9, 10_000_000],
  ])("%s is ignored or clamped with one warning, and posts still flow", async (_name, advertised, expected) => {
    const server = await serve({ maxMessagesPerSecond: advertised });
    const logs = new LogCapture();
    const client = contributor(server, logs, { defaultMaxMessagesPerSecond: 1000 });
    await client.connect();
    const acks = await Promise.all(
      Array.from({ length: 20 }, (_, index) => client.contribute(`TRCCTEST${index}`, { BID: index })),
    );
    expect(acks).toHaveLength(20);
    expect(client.stats().maxMessagesPerSecond).toBe(expected);
    expect(protocolLines(logs, "rate-limit")).toHaveLength(1);
  });
});
