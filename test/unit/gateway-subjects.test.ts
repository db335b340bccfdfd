/** NATS subject tokens of account names and RICs (docs/cluster.md, "Subjects"): readable, and exact both ways. */
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { clusterSubjects, decodeToken, encodeToken } from "../../src/gateway/cluster/subjects.js";

/** What NATS accepts in one token: printable ASCII, no `.`, `*`, `>` or white space. */
const NATS_TOKEN = /^[\x21-\x2d\x2f-\x3d\x3f-\x7e]+$/;

describe("subject tokens", () => {
  test("keep RIC characters NATS allows, and escape the ones it reserves", () => {
    expect(encodeToken("TRCCTEST01")).toBe("TRCCTEST01");
    expect(encodeToken("EUR=")).toBe("EUR=");
    expect(encodeToken("/EUR=")).toBe("/EUR=");
    expect(encodeToken("TRCCTEST.L")).toBe("TRCCTEST~2EL");
    expect(encodeToken("0#.FTSE")).toBe("0#~2EFTSE");
    expect(encodeToken("A*B>C")).toBe("A~2AB~3EC");
    expect(encodeToken("a b\tc")).toBe("a~20b~09c");
    expect(encodeToken("~")).toBe("~7E");
    expect(encodeToken("é")).toBe("~C3~A9");
  });

  fcTest.prop([fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 })], { numRuns: 500 })(
    "every non-empty name round-trips and its token is one NATS token",
    (name) => {
      const token = encodeToken(name);
      expect(token).toMatch(NATS_TOKEN);
      expect(decodeToken(token)).toBe(name);
    },
  );

  test("refuse what they cannot carry, and tokens they did not make", () => {
    expect(() => encodeToken("")).toThrow(RangeError);
    expect(() => encodeToken("A\ud800B")).toThrow(/lone UTF-16 surrogate/);
    expect(() => decodeToken("")).toThrow(RangeError);
    expect(() => decodeToken("A.B")).toThrow(/must be escaped/);
    expect(() => decodeToken("A~2")).toThrow(/bad escape/);
    expect(() => decodeToken("A~2e")).toThrow(/bad escape/); // lower-case hex is not what encodeToken writes
    expect(() => decodeToken("~41")).toThrow(/plain character/); // "A" written as an escape: not canonical
    expect(() => decodeToken("~FF")).toThrow(/UTF-8/);
  });
});

describe("cluster subjects", () => {
  test("name each account's and RIC's inbound subject, and read it back", () => {
    const subjects = clusterSubjects();
    expect(subjects.inbound("desk-1", "TRCCTEST.L")).toBe("rcc.in.desk-1.TRCCTEST~2EL");
    expect(subjects.inboundOf("desk-1")).toBe("rcc.in.desk-1.*");
    expect(subjects.allInbound).toBe("rcc.in.*.*");
    expect(subjects.parseInbound("rcc.in.desk-1.TRCCTEST~2EL")).toEqual({ account: "desk-1", ric: "TRCCTEST.L" });
    expect(subjects.parseInbound("rcc.in.desk-1")).toBeUndefined();
    expect(subjects.parseInbound("rcc.in.desk-1.A.B")).toBeUndefined();
    expect(subjects.parseInbound("rcc.in.desk-1.A~2")).toBeUndefined();
    expect(subjects.parseInbound("other.in.desk-1.A")).toBeUndefined();
    expect(subjects.outcome("g-01.x")).toBe("rcc.out.g-01~2Ex");
    expect(subjects.allOutcomes).toBe("rcc.out.*");
    expect(clusterSubjects("bank.prod").inbound("a", "b")).toBe("bank.prod.in.a.b");
    expect(() => clusterSubjects("bad prefix")).toThrow(RangeError);
    expect(() => clusterSubjects("a..b")).toThrow(RangeError);
  });
});
