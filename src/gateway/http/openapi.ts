/**
 * The OpenAPI 3.1 document served at `/openapi.json`. The item schema is generated from the very zod schema
 * that checks items (items.ts), so the document cannot drift from what the gateway accepts.
 */
import { z } from "zod";
import { itemSchema } from "../items.js";

const errorSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: { code: { type: "string" }, message: { type: "string" } },
      required: ["code", "message"],
    },
  },
  required: ["error"],
} as const;

const itemView = {
  type: "object",
  properties: {
    id: { type: "string" },
    ric: { type: "string" },
    state: { enum: ["accepted", "sent", "acked", "naked", "failed", "conflated", "superseded"] },
    acceptedAt: { type: "string", format: "date-time" },
    sentAt: { type: "string", format: "date-time" },
    settledAt: { type: "string", format: "date-time" },
    postId: { type: "integer" },
    attempts: { type: "integer" },
    nakCode: { type: "string" },
    text: { type: "string" },
    conflatedInto: { type: "string" },
  },
  required: ["id", "ric", "state", "acceptedAt", "attempts"],
} as const;

const postAnswer = {
  type: "object",
  properties: {
    accepted: { type: "integer", description: "items stored (or found stored: a replay)" },
    refused: { type: "integer" },
    items: {
      type: "array",
      description:
        "one entry per item, in request order: its view (with replayed: true for an earlier one) or its error",
      items: {
        oneOf: [
          {
            allOf: [
              { $ref: "#/components/schemas/Item" },
              { type: "object", properties: { index: { type: "integer" }, replayed: { const: true } } },
            ],
          },
          {
            type: "object",
            properties: {
              index: { type: "integer" },
              error: {
                type: "object",
                properties: {
                  code: { enum: ["invalid", "forbidden", "id-conflict", "no-account", "outbox-full"] },
                  message: { type: "string" },
                },
              },
            },
          },
        ],
      },
    },
  },
} as const;

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
const bearer = [{ apiKey: [] }];

/** The document. */
export function openApiDocument(): Record<string, unknown> {
  const contribution = z.toJSONSchema(itemSchema) as Record<string, unknown>;
  delete contribution.$schema;
  return {
    openapi: "3.1.0",
    info: {
      title: "rcc gateway",
      version: "1",
      description: "Contribute prices to LSEG's Refinitiv Contributions Channel through a durable outbox.",
    },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer" } },
      schemas: { Contribution: contribution, Item: itemView, Error: errorSchema, PostAnswer: postAnswer },
    },
    paths: {
      "/v1/contributions": {
        post: {
          summary: "Contribute one item, an array of items, or NDJSON (one item per line)",
          security: bearer,
          parameters: [
            { name: "wait", in: "query", schema: { enum: ["accepted", "ack"], default: "accepted" } },
            { name: "timeout", in: "query", description: "wait=ack: milliseconds", schema: { type: "integer" } },
            { name: "Idempotency-Key", in: "header", schema: { type: "string", maxLength: 255 } },
          ],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    { $ref: "#/components/schemas/Contribution" },
                    { type: "array", items: { $ref: "#/components/schemas/Contribution" } },
                  ],
                },
              },
              "application/x-ndjson": { schema: { type: "string", description: "one Contribution per line" } },
            },
          },
          responses: {
            "200": {
              description: "wait=ack: every stored item is final",
              content: { "application/json": { schema: { $ref: "#/components/schemas/PostAnswer" } } },
            },
            "202": {
              description: "items stored durably (some not final yet with wait=ack)",
              content: { "application/json": { schema: { $ref: "#/components/schemas/PostAnswer" } } },
            },
            "400": errorResponse("bad JSON, a bad parameter, or every item invalid"),
            "401": errorResponse("no valid API key"),
            "403": errorResponse("every item outside the key's scope"),
            "409": errorResponse("an id conflict, or the same Idempotency-Key in progress"),
            "413": errorResponse("body or item count over the limit"),
            "415": errorResponse("not application/json or application/x-ndjson"),
            "422": errorResponse("no account for the RICs, or an Idempotency-Key reused with another body"),
            "429": errorResponse("the account's outbox is full: Retry-After says when to try again"),
            "503": errorResponse(
              "the gateway is stopping (shutting-down), or in cluster mode NATS did not store the items in time (unavailable: Retry-After; send again with the same ids or Idempotency-Key)",
            ),
          },
        },
      },
      "/v1/contributions/{id}": {
        get: {
          summary: "One item's state",
          security: bearer,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": {
              description: "the item",
              content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } },
            },
            "404": errorResponse("unknown, compacted, or outside the key's scope"),
          },
        },
      },
      "/v1/outcomes": {
        get: {
          summary: "Outcomes in order, as server-sent events (id = cursor; resume with ?after= or Last-Event-ID)",
          security: bearer,
          parameters: [{ name: "after", in: "query", schema: { type: "integer", default: 0 } }],
          responses: { "200": { description: "text/event-stream of `outcome` events whose data is an Item" } },
        },
      },
      "/v1/rics/{ric}": {
        get: {
          summary: "The last acknowledged value of each field of a RIC",
          security: bearer,
          parameters: [{ name: "ric", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "{ ric, fields: { NAME: { value, id, ackedAt } } }" },
            "404": errorResponse("none"),
          },
        },
      },
      "/healthz": { get: { summary: "The process is up", responses: { "200": { description: "ok" } } } },
      "/readyz": {
        get: {
          summary: "Every account logged in and the outbox open",
          responses: { "200": { description: "ready" }, "503": { description: "not ready (the body says why)" } },
        },
      },
      "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "text exposition" } } } },
    },
  };
}
