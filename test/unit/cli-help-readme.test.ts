/**
 * README.md's "Every option of every command" tables against the commands: the section between its markers must
 * be exactly what scripts/cli-reference.ts renders from `buildProgram()`, and each command's `--help` must list
 * exactly the options and arguments of its tables, with the same text. Builds the commands only; runs nothing.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  describeCommands,
  type OptionReference,
  README_END_MARKER,
  README_START_MARKER,
  readMarkedSection,
  renderCliReference,
} from "../../scripts/cli-reference.js";
import { buildProgram } from "../../src/cli/main.js";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const REGENERATE = "README.md's option tables differ from the commands: run `npm run docs:cli` and commit README.md";

/** Help text with its line wrapping undone, so that it compares equal whatever the terminal width. */
function unwrapped(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * The items of commander's help by heading ("Options:", "Arguments:", …): each term with its description, the
 * wrapped lines joined. An item starts two spaces in; its term ends at the first run of two or more spaces.
 */
function helpItems(help: string): Map<string, [term: string, description: string][]> {
  const sections = new Map<string, [string, string][]>();
  let items: [string, string][] | undefined;
  for (const line of help.split("\n")) {
    const heading = /^(\S.*:)$/.exec(line);
    const item = /^ {2}(\S(?:.*?\S)?)(?: {2,}(.*))?$/.exec(line);
    const continued = /^ {3,}(\S.*)$/.exec(line);
    if (heading?.[1] !== undefined) {
      items = [];
      sections.set(heading[1], items);
    } else if (item?.[1] !== undefined && items !== undefined) {
      items.push([item[1], item[2] ?? ""]);
    } else if (continued?.[1] !== undefined && items !== undefined && items.length > 0) {
      const last = items[items.length - 1]!;
      last[1] = `${last[1]} ${continued[1]}`;
    } else if (line.trim() === "") {
      items = undefined;
    }
  }
  for (const list of sections.values()) for (const entry of list) entry[1] = unwrapped(entry[1]);
  return new Map([...sections].filter(([, list]) => list.length > 0));
}

/** How commander's help words an option's description from the parts the table shows in separate columns. */
function helpDescription(option: OptionReference): string {
  const extras = [
    ...(option.choices.length > 0
      ? [`choices: ${option.choices.map((choice) => JSON.stringify(choice)).join(", ")}`]
      : []),
    ...(option.defaultText === undefined ? [] : [`default: ${option.defaultText}`]),
    ...option.notes,
  ];
  return unwrapped([option.description, ...(extras.length > 0 ? [`(${extras.join(", ")})`] : [])].join(" "));
}

describe("README's option tables", () => {
  it("are what `npm run docs:cli` renders from the commands, byte for byte", () => {
    const section = readMarkedSection(README);
    expect(section, `README.md needs ${README_START_MARKER} … ${README_END_MARKER}; ${REGENERATE}`).toBeDefined();
    expect(section, REGENERATE).toBe(renderCliReference(buildProgram()));
  });

  it("cover every command of `rcc --help`", () => {
    const names = describeCommands(buildProgram()).map((command) => command.name);
    expect(names).toEqual(expect.arrayContaining(["demo", "post", "contribute", "token", "watch", "simulate"]));
  });

  it("leave out the options a command's --help hides", () => {
    const program = buildProgram();
    for (const reference of describeCommands(program)) {
      const command = program.commands.find((candidate) => candidate.name() === reference.name)!;
      const listed = reference.optionGroups.flatMap((group) => group.options.map((option) => option.flags));
      const hidden = command.options.filter((option) => option.hidden).map((option) => option.flags);
      for (const flags of hidden) expect(listed, `rcc ${reference.name}`).not.toContain(flags);
    }
  });
});

describe("each command's --help", () => {
  const program = buildProgram();
  const references = describeCommands(program);

  it.each(references.map((reference) => [reference.name, reference] as const))(
    "rcc %s --help lists exactly the options and arguments of its table, worded the same",
    (name, reference) => {
      const command = program.commands.find((candidate) => candidate.name() === name)!;
      const help = command.helpInformation();
      expect(help).toContain(`Usage: ${reference.usage}`);
      const expected = new Map<string, [string, string][]>();
      if (reference.arguments.length > 0) {
        expected.set(
          "Arguments:",
          reference.arguments.map((argument) => [argument.name, unwrapped(argument.description)]),
        );
      }
      for (const group of reference.optionGroups) {
        expected.set(
          group.heading,
          group.options.map((option) => [option.flags, helpDescription(option)]),
        );
      }
      expect(helpItems(help)).toEqual(expected);
    },
  );
});
