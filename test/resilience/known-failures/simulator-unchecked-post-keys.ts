/**
 * KNOWN FAILURE (simulator, minor; src/simulator/rcc/post-convert.ts): two keys of a Post are not converted, so any
 * JSON value in them is accepted and the post Acked, where the converter (rcc-protocol.md §2.8 key table, §2.11,
 * §4A.7) would answer with an Error: `Complete` (a boolean) and the nested `Message.Domain` (an enumeration, string
 * or number). Found by test/resilience/simulator-fuzz.test.ts's wrong-type property, which leaves these two keys out.
 *
 * Kept out of `npm test` (issue 6 rule); run it with
 *   node --import tsx test/resilience/known-failures/simulator-unchecked-post-keys.ts
 * Exit code 1 while any of these posts is Acked, 0 once each gets a converter Error.
 */
import { passwordGrant } from "../../helpers/auth.js";
import { connectRaw, loginRequest, post } from "../../helpers/raw-client.js";
import { startSimulator } from "../../../src/simulator/index.js";

const sim = await startSimulator();
const acked: string[] = [];
try {
  const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
  const client = await connectRaw(sim.wsUrls[0]!);
  client.send(loginRequest(tokens.accessToken));
  await client.next((message) => message.Type === "Refresh");
  const cases: [string, Record<string, unknown>][] = [
    ['Complete: "abc"', { Complete: "abc" }],
    ["Complete: {}", { Complete: {} }],
    [
      'Message.Domain: "NoSuchDomain"',
      { Message: { Type: "Update", ID: 0, Domain: "NoSuchDomain", Fields: { BID: 1 } } },
    ],
    ["Message.Domain: [1]", { Message: { Type: "Update", ID: 0, Domain: [1], Fields: { BID: 1 } } }],
  ];
  for (const [index, [name, extra]] of cases.entries()) {
    client.send(post(index + 1, "TRCCTEST01", { BID: 1 }, extra));
    const answer = await client.next((message) => message.Type === "Ack" || message.Type === "Error");
    process.stdout.write(`${name} → ${JSON.stringify(answer)}\n`);
    if (answer.Type === "Ack" && answer.NakCode === undefined) acked.push(name);
  }
  await client.close();
} finally {
  await sim.close();
}
if (acked.length > 0) {
  process.stdout.write(`FAIL: Acked despite a wrongly typed key: ${acked.join("; ")}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write("PASS\n");
}
