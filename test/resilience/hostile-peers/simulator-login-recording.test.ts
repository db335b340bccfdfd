/**
 * Hostile peers: a client that puts its token where a Login does not expect it (`Key.Name`, an array under
 * `Key.Elements`, top-level `Elements`, a key of another case, nested objects) must not find it in what the admin
 * API and the dashboard serve: the recording (item 32) masks every string of a Login but the public ones. Real
 * sockets on 127.0.0.1; after each property the healthy poster of fuzz-environment must still be served.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SseStream, closeAllSse, openSse } from "../../helpers/sse.js";
import { type Received, connectRaw } from "../../helpers/raw-client.js";
import { useFuzzEnvironment } from "../helpers/fuzz-environment.js";

const env = useFuzzEnvironment();
let stream: SseStream;

beforeAll(async () => {
  stream = await openSse(`${env.sim.adminUrl.replace(/\/admin$/, "")}/dashboard/events`);
  await stream.next("snapshot");
});
afterAll(() => closeAllSse());

/** Sends `login` on a connection of its own and waits for the server's answer (or the close). */
async function sendLogin(login: unknown): Promise<void> {
  const client = await connectRaw(env.sim.wsUrls[0]!);
  client.send(login);
  await Promise.race([client.next(() => true, 3_000), client.closed]);
  await client.close();
}

/** Every admin answer that shows recorded or derived data, as text. */
async function adminBodies(): Promise<string> {
  const paths = ["/messages?limit=1000", "/state", "/contributions", "/faults"];
  const bodies = await Promise.all(paths.map(async (path) => (await fetch(`${env.sim.adminUrl}${path}`)).text()));
  return bodies.join("\n");
}

/** The same word in a random mix of cases. */
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) =>
    word
      .split("")
      .map((char, index) => (upper[index] ? char.toUpperCase() : char.toLowerCase()))
      .join(""),
  );

const PUBLIC_KEYS = new Set(["applicationid", "position"]);
const keyName = fc.oneof(
  anyCase("AuthenticationToken"),
  anyCase("Name"),
  anyCase("Token"),
  anyCase("Elements"),
  anyCase("Type"),
  anyCase("Data"),
  anyCase("NameType"),
  fc.string({ minLength: 1, maxLength: 12 }),
);

/** A value holding `secret` somewhere: as is, in an array, in a typed element, or deeper. */
const holding = (secret: string): fc.Arbitrary<unknown> =>
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(secret),
      fc.constant(`Bearer ${secret}`),
      fc.tuple(fc.integer(), tie("value")).map(([number, inner]) => [number, inner, "x"]),
      fc.constant({ Type: "AsciiString", Data: secret }),
      fc
        .tuple(keyName, tie("value"))
        .filter(([key]) => !PUBLIC_KEYS.has(key.toLowerCase()))
        .map(([key, inner]) => ({ [key]: inner })),
    ),
  })).value;

/** Where the secret goes: top level, `Key`, `Key.Elements`, or top-level `Elements`. */
const PLACES = ["top", "Key", "Key.Elements", "Elements"] as const;

const loginWithSecret = (secret: string) =>
  fc
    .record({
      place: fc.constantFrom(...PLACES),
      key: keyName,
      value: holding(secret),
      nameType: fc.constantFrom(undefined, "AuthnToken", "Name", 1, 5, "Token"),
      domainKey: anyCase("Domain"),
      domain: fc.constantFrom("Login", "login", 1),
    })
    .filter(({ place, key, nameType }) => {
      const lower = key.toLowerCase();
      if (PUBLIC_KEYS.has(lower)) return false;
      if (place === "top" && ["domain", "key", "id"].includes(lower)) return false;
      if (place === "Key" && ["elements", "nametype"].includes(lower)) return false;
      // The user name of a user-name Login is shown on purpose.
      const userNameLogin = nameType === undefined || nameType === "Name" || nameType === 1;
      return !(place === "Key" && lower === "name" && userNameLogin);
    })
    .map(({ place, key, value, nameType, domainKey, domain }) => {
      const elements: Record<string, unknown> = { ApplicationId: "256", Position: "127.0.0.1/hostile" };
      const loginKey: Record<string, unknown> = { Elements: elements };
      if (nameType !== undefined) loginKey.NameType = nameType;
      const login: Record<string, unknown> = { ID: 1, [domainKey]: domain, Key: loginKey };
      if (place === "top") login[key] = value;
      else if (place === "Key") loginKey[key] = value;
      else if (place === "Key.Elements") elements[key] = value;
      else login.Elements = { [key]: value };
      return login;
    });

describe("the recording of Logins", () => {
  it("never serves a token placed anywhere in a Login, in any case, at any depth", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9._-]{12,40}$/).chain((tail) => {
          run += 1;
          const secret = `sEcReT${run}x${tail}`;
          return fc.tuple(fc.constant(secret), loginWithSecret(secret));
        }),
        async ([secret, login]) => {
          await sendLogin(login);
          const bodies = await adminBodies();
          expect(bodies).toContain("[redacted]");
          expect(bodies).not.toContain(secret);
          expect(stream.text).not.toContain(secret);
        },
      ),
      { numRuns: 60 },
    );
    env.healthy.assertHealthy();
  }, 25_000);

  it("masks the four placements seen in the wild and keeps ApplicationId, Position and a user name", async () => {
    const secret = "misplaced-token-of-this-test-0123456789";
    await sendLogin({ ID: 1, Domain: "Login", Key: { NameType: "AuthnToken", Name: secret, Elements: {} } });
    await sendLogin({ ID: 1, Domain: "Login", Key: { NameType: "AuthnToken", Elements: { Tokens: [1, [secret]] } } });
    await sendLogin({ ID: 1, Domain: "Login", Key: { NameType: "AuthnToken" }, Elements: { Token: secret } });
    await sendLogin({
      ID: 1,
      Domain: "Login",
      Key: { NameType: "AuthnToken", Elements: { authenticationtoken: secret, ApplicationId: "256" } },
    });
    await sendLogin({ ID: 1, Domain: "Login", Key: { Name: "some-dacs-user", Elements: { Position: "10.0.0.1/h" } } });
    const response = await fetch(`${env.sim.adminUrl}/messages?limit=1000`);
    const body = (await response.json()) as { messages: { message: Received }[] };
    expect(JSON.stringify(body)).not.toContain(secret);
    // The healthy poster's posts are recorded in between: the Logins are the last five.
    const recorded = body.messages
      .map((entry) => entry.message)
      .filter((message) => message.Domain === "Login")
      .slice(-5);
    expect(recorded[0]).toEqual({
      ID: 1,
      Domain: "Login",
      Key: { NameType: "AuthnToken", Name: "[redacted]", Elements: {} },
    });
    expect(recorded[1]!.Key.Elements.Tokens).toEqual([1, ["[redacted]"]]);
    expect(recorded[2]!.Elements).toEqual({ Token: "[redacted]" });
    expect(recorded[3]!.Key.Elements).toEqual({ authenticationtoken: "[redacted]", ApplicationId: "256" });
    expect(recorded[4]!.Key).toEqual({ Name: "some-dacs-user", Elements: { Position: "10.0.0.1/h" } });
  });
});
