/**
 * Hostile token endpoints for the "hostile peers" tests: a node http server on 127.0.0.1:0 that plays an RDP
 * token endpoint (§1) badly on purpose. It can
 * - echo what it was sent — the password of a password grant, the refresh token of a refresh grant — back in
 *   its `error_description`, raw, percent-encoded and form-encoded (the request body verbatim);
 * - issue tokens of the test's choosing (so the test knows every secret the client holds);
 * - accept the TCP connection and the request, and never answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One token request as the endpoint received it. */
export interface ReceivedGrant {
  grant: string;
  form: URLSearchParams;
  /** The body as sent (form-encoded). */
  body: string;
}

/** How the endpoint answers a grant. */
export type GrantAnswer =
  | { kind: "tokens"; accessToken: string; refreshToken: string; expiresInSec: number }
  | { kind: "echo"; status: number }
  | { kind: "silent" };

/** The endpoint. `answer` decides each grant's fate and may be changed at any time. */
export class EchoingTokenEndpoint {
  readonly url: string;
  readonly received: ReceivedGrant[] = [];
  answer: (grant: ReceivedGrant) => GrantAnswer;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, answer: (grant: ReceivedGrant) => GrantAnswer) {
    this.#server = server;
    this.answer = answer;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/oauth2/v1/token`;
  }

  /** Starts on a free port of 127.0.0.1. */
  static async start(answer: (grant: ReceivedGrant) => GrantAnswer): Promise<EchoingTokenEndpoint> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = new EchoingTokenEndpoint(server, answer);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => endpoint.handle(req, res));
    server.on("connection", (socket) => {
      endpoint.#sockets.add(socket);
      socket.on("close", () => endpoint.#sockets.delete(socket));
    });
    return endpoint;
  }

  /** Drops every connection (answered or hanging) and closes the server. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const form = new URLSearchParams(body);
      const grant: ReceivedGrant = { grant: form.get("grant_type") ?? "", form, body };
      this.received.push(grant);
      const answer = this.answer(grant);
      if (answer.kind === "silent") return; // the socket stays open: the client's timeouts must act
      res.setHeader("content-type", "application/json");
      if (answer.kind === "tokens") {
        res.end(
          JSON.stringify({
            access_token: answer.accessToken,
            refresh_token: answer.refreshToken,
            expires_in: String(answer.expiresInSec),
            token_type: "Bearer",
          }),
        );
        return;
      }
      res.statusCode = answer.status;
      res.end(JSON.stringify({ error: "invalid_grant", error_description: echoOf(grant) }));
    });
  }
}

/** The secret of a grant (password or refresh token) raw, percent-encoded, and the whole body as sent. */
function echoOf(grant: ReceivedGrant): string {
  const secret = grant.form.get(grant.grant === "password" ? "password" : "refresh_token") ?? "";
  return `rejected ${secret} | ${encodeURIComponent(secret)} | body ${grant.body}`;
}
