import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { parseFault } from "../../src/cli/commands/simulate.js";
import { FAULT_TYPES } from "../../src/simulator/index.js";

// `rcc simulate --fault` spells the simulator's fault types out (importing the simulator would slow every `rcc`
// start); the compiler checks the set, these tests check the order users read and that each one is accepted.
describe("rcc simulate --fault", () => {
  it("accepts every fault type the simulator knows", () => {
    for (const type of FAULT_TYPES) expect(parseFault(type)).toEqual([{ type }]);
  });

  it("names the known fault types in the simulator's order when one is unknown", () => {
    expect(() => parseFault("explode")).toThrow(InvalidArgumentError);
    expect(() => parseFault("explode")).toThrow(`unknown fault 'explode'; known: ${FAULT_TYPES.join(", ")}`);
  });
});
