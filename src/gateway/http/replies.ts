/** The API's error answer and its authentication, shared by its routes. */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ApiKeys, Producer } from "../api-keys.js";

/** Sends `{ "error": { "code", "message" } }` with `status`. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** The producer of a request, or undefined once a 401 (with `WWW-Authenticate`) has been sent. */
export function authenticate(apiKeys: ApiKeys, request: FastifyRequest, reply: FastifyReply): Producer | undefined {
  const producer = apiKeys.authenticate(request.headers.authorization);
  if (producer === undefined) {
    void reply.header("WWW-Authenticate", 'Bearer realm="rcc-gateway"');
    void sendError(reply, 401, "unauthorized", "send a valid API key as 'Authorization: Bearer <key>'");
  }
  return producer;
}
