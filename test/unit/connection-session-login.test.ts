/** Reading Login Refresh/Status messages leniently (§2.5, §2.6, §2.10, §3.3). */
import { describe, expect, test } from "vitest";
import { LoginRefusedError } from "../../src/client/errors.js";
import {
  classifyLoginMessage,
  parseState,
  readMaxMessagesPerSecond,
} from "../../src/client/connection/login-outcome.js";

const RCC_REFRESH = {
  Type: "Refresh",
  Domain: "Login",
  ID: 1,
  Key: { Name: "GE-A-00000001-1-0001", Elements: { "TRCE:MaxMessagesPerSecond": 1000 } },
  State: { Stream: "Open", Data: "Ok", Text: "Login accepted by host 01b6ef18b14d via ip-10-158-203-19" },
  Private: true,
  Solicited: false,
  ClearCache: false,
  DoNotCache: true,
};

describe("classifyLoginMessage", () => {
  test("§2.5: accepts the RCC Login Refresh and reads its rate limit and user", () => {
    expect(classifyLoginMessage(RCC_REFRESH)).toEqual({
      kind: "accepted",
      maxMessagesPerSecond: 1000,
      user: "GE-A-00000001-1-0001",
      text: "Login accepted by host 01b6ef18b14d via ip-10-158-203-19",
    });
  });

  test.each([
    ["a null Key.Name", { ...RCC_REFRESH, Key: { Name: null } }],
    ["no Key at all", { Type: "Refresh", Domain: "Login", ID: 1, State: { Stream: "Open", Data: "Ok" } }],
    ["numeric enums", { Type: 2, Domain: 1, ID: 1, State: { Stream: 1, Data: 1 } }],
    ["no State (lenient default Open/Ok)", { Type: "Refresh", Domain: "Login", ID: 1 }],
  ])("accepts a Refresh with %s", (_label, message) => {
    const outcome = classifyLoginMessage(message);
    expect(outcome.kind).toBe("accepted");
    if (outcome.kind === "accepted") expect(outcome.user).toBeUndefined();
  });

  test('§2.6: "System busy" ends the login and is retriable', () => {
    const outcome = classifyLoginMessage({
      Type: "Status",
      Domain: "Login",
      ID: 1,
      Private: true,
      State: { Stream: "Closed", Data: "Suspect", Code: "NoResources", Text: "System busy" },
    });
    expect(outcome.kind).toBe("ended");
    if (outcome.kind !== "ended") return;
    expect(outcome.tokenSuspect).toBe(false);
    expect(outcome.error).toBeInstanceOf(LoginRefusedError);
    expect(outcome.error).toMatchObject({ streamState: "Closed", stateCode: "NoResources", retriable: true });
  });

  test.each(["NotEntitled", "UserUnknownToPermSys", "UserAccessToAppDenied", "AppAuthorizationFailed", 3, 30])(
    "a refusal with code %s is token-suspect and not retriable by itself",
    (code) => {
      const outcome = classifyLoginMessage({
        Type: "Status",
        ID: 1,
        State: { Stream: "Closed", Data: "Suspect", Code: code, Text: "denied\n" },
      });
      expect(outcome.kind).toBe("ended");
      if (outcome.kind !== "ended") return;
      expect(outcome.tokenSuspect).toBe(true);
      expect(outcome.error).toMatchObject({ retriable: false, text: "denied" });
    },
  );

  test.each(["ClosedRecover", "Redirected", "NonStreaming", 3, 4, 5])("stream state %s ends the login", (stream) => {
    expect(classifyLoginMessage({ Type: "Refresh", ID: 1, State: { Stream: stream, Data: "Suspect" } }).kind).toBe(
      "ended",
    );
  });

  test("an Open/Suspect status is reported as other, not as an ending", () => {
    const outcome = classifyLoginMessage({
      Type: "Status",
      ID: 1,
      State: { Stream: "Open", Data: "Suspect", Text: "degraded" },
    });
    expect(outcome).toEqual({ kind: "other", stream: "Open", data: "Suspect", text: "degraded" });
  });
});

describe("readMaxMessagesPerSecond", () => {
  test.each([
    ["a plain number", { Key: { Elements: { "TRCE:MaxMessagesPerSecond": 250 } } }, 250],
    ["a typed UInt", { Key: { Elements: { "TRCE:MaxMessagesPerSecond": { Type: "UInt", Data: 300 } } } }, 300],
    ["a numeric string", { Key: { Elements: { "TRCE:MaxMessagesPerSecond": "400" } } }, 400],
    ["top-level Elements", { Elements: { "TRCE:MaxMessagesPerSecond": 500 } }, 500],
    ["no element", { Key: { Elements: {} } }, undefined],
    ["zero", { Key: { Elements: { "TRCE:MaxMessagesPerSecond": 0 } } }, undefined],
    ["garbage", { Key: { Elements: { "TRCE:MaxMessagesPerSecond": "lots" } } }, undefined],
  ])("reads %s", (_label, message, expected) => {
    expect(readMaxMessagesPerSecond(message)).toBe(expected);
  });
});

describe("parseState", () => {
  test("keeps unknown enum values as text and trims the Text", () => {
    expect(parseState({ Stream: "Weird", Data: 2, Code: 999, Text: " x \n" })).toEqual({
      stream: "Weird",
      data: "Suspect",
      code: "999",
      text: "x",
    });
    expect(parseState(undefined)).toEqual({ stream: undefined, data: undefined, code: undefined, text: "" });
  });
});
