/**
 * The README's "Every option of every command" section, rendered from the commands themselves: `buildProgram()`
 * builds every `rcc` command without running anything, and commander's own help helper says which options and
 * arguments `--help` lists (hidden ones left out), in which order and under which heading. Nothing here names an
 * option, so the section follows whatever the commands declare.
 *
 * Run `npm run docs:cli` (node --import tsx scripts/cli-reference.ts) to rewrite the part of README.md between
 * the two marker comments; test/unit/cli-help-readme.test.ts fails when that part and the commands differ.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Argument, Command, Help, Option } from "commander";
import { buildProgram } from "../src/cli/main.js";

export const README_START_MARKER = "<!-- cli-reference:start -->";
export const README_END_MARKER = "<!-- cli-reference:end -->";

/** One row of an option table, in the words `--help` uses. */
export interface OptionReference {
  /** The term `--help` shows, e.g. `--ack-timeout <ms>`. */
  flags: string;
  description: string;
  /** What `--help` shows after `default:`, when it shows a default. */
  defaultText: string | undefined;
  /** The allowed values, when commander checks them. */
  choices: readonly string[];
  /** The rest of what `--help` adds in parentheses (preset value, environment variable). */
  notes: readonly string[];
}

/** One argument, as `--help` lists it under "Arguments:". */
export interface ArgumentReference {
  name: string;
  /** The argument's description with what `--help` adds (choices, default). */
  description: string;
}

/** The options `--help` lists under one heading ("Options:" unless a command groups them). */
export interface OptionGroupReference {
  heading: string;
  options: readonly OptionReference[];
}

/** Everything `rcc <command> --help` lists about one command. */
export interface CommandReference {
  name: string;
  /** The usage line without `Usage: `, e.g. `rcc contribute [options] <file>`. */
  usage: string;
  description: string;
  arguments: readonly ArgumentReference[];
  optionGroups: readonly OptionGroupReference[];
}

/** The visible subcommands of `program`, in the order `rcc --help` lists them (the implicit `help` left out). */
export function describeCommands(program: Command): CommandReference[] {
  const visible = new Set(program.createHelp().visibleCommands(program));
  return program.commands.filter((command) => visible.has(command)).map(describeCommand);
}

function describeCommand(command: Command): CommandReference {
  const helper = command.createHelp();
  return {
    name: command.name(),
    usage: helper.commandUsage(command),
    description: helper.commandDescription(command),
    arguments: helper.visibleArguments(command).map((argument) => describeArgument(helper, argument)),
    optionGroups: groupOptions(helper, command),
  };
}

function describeArgument(helper: Help, argument: Argument): ArgumentReference {
  return { name: helper.argumentTerm(argument), description: helper.argumentDescription(argument) };
}

/** The same grouping as commander's formatHelp: headings in order of declaration, options in help order. */
function groupOptions(helper: Help, command: Command): OptionGroupReference[] {
  const groups = helper.groupItems(
    [...command.options],
    helper.visibleOptions(command),
    (option) => option.helpGroupHeading ?? "Options:",
  );
  return [...groups]
    .filter(([, options]) => options.length > 0)
    .map(([heading, options]) => ({ heading, options: options.map((option) => describeOption(helper, option)) }));
}

/** Splits what commander's `optionDescription()` joins into one string, with the same rules for each part. */
function describeOption(helper: Help, option: Option): OptionReference {
  // Commander shows a default only for options that take a value, and for a plain flag whose default is a boolean.
  const showsDefault =
    option.defaultValue !== undefined &&
    (option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === "boolean"));
  const notes: string[] = [];
  if (option.presetArg !== undefined && option.optional) notes.push(`preset: ${JSON.stringify(option.presetArg)}`);
  if (option.envVar !== undefined) notes.push(`env: ${option.envVar}`);
  return {
    flags: helper.optionTerm(option),
    description: option.description,
    defaultText: showsDefault ? option.defaultValueDescription || JSON.stringify(option.defaultValue) : undefined,
    choices: option.argChoices ?? [],
    notes,
  };
}

/** The Markdown between the README's markers: for each command its usage, description, arguments and options. */
export function renderCliReference(program: Command): string {
  const parts = describeCommands(program).map(renderCommand);
  return `\n${parts.join("\n")}\n`;
}

function renderCommand(command: CommandReference): string {
  const lines = [`### \`${codeText(command.usage)}\``, ""];
  if (command.description !== "") lines.push(markdownText(command.description), "");
  if (command.arguments.length > 0) {
    lines.push("| argument | description |", "|---|---|");
    for (const argument of command.arguments) {
      lines.push(`| \`${codeText(argument.name)}\` | ${markdownText(argument.description)} |`);
    }
    lines.push("");
  }
  const headed = command.optionGroups.length > 1 || command.optionGroups[0]?.heading !== "Options:";
  for (const group of command.optionGroups) {
    if (headed) lines.push(`**${markdownText(group.heading.replace(/:$/, ""))}**`, "");
    lines.push("| option | description | default | choices |", "|---|---|---|---|");
    for (const option of group.options) lines.push(renderOptionRow(option));
    lines.push("");
  }
  return lines.join("\n");
}

function renderOptionRow(option: OptionReference): string {
  const description = [option.description, ...option.notes.map((note) => `(${note})`)].filter((text) => text !== "");
  const cells = [
    `\`${codeText(option.flags)}\``,
    markdownText(description.join(" ")),
    option.defaultText === undefined ? "" : `\`${codeText(option.defaultText)}\``,
    option.choices.map((choice) => `\`${codeText(choice)}\``).join(", "),
  ];
  return `| ${cells.join(" | ")} |`;
}

/** Text inside a code span of a table cell: only the cell separator needs escaping (GitHub unescapes it). */
function codeText(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("`", "'");
}

/**
 * Plain text in a table cell, shown as written: `<host>` would otherwise be taken for an HTML tag and vanish,
 * `|` would end the cell, and `*`, `_` or a backtick would start emphasis or code.
 */
function markdownText(text: string): string {
  return text
    .replace(/[\\`*|]/g, (character) => `\\${character}`)
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, "\\_")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/** The text between the README's markers, or `undefined` when a marker is missing. */
export function readMarkedSection(readme: string): string | undefined {
  const start = readme.indexOf(README_START_MARKER);
  const end = readme.indexOf(README_END_MARKER);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + README_START_MARKER.length, end);
}

/** `readme` with the text between its markers replaced by `section`. */
export function replaceMarkedSection(readme: string, section: string): string {
  const current = readMarkedSection(readme);
  if (current === undefined) {
    throw new Error(`README.md needs the lines ${README_START_MARKER} and ${README_END_MARKER}, in that order`);
  }
  const start = readme.indexOf(README_START_MARKER) + README_START_MARKER.length;
  return readme.slice(0, start) + section + readme.slice(start + current.length);
}

/** Rewrites README.md's marked section when it differs from the commands; says which it did. */
function updateReadme(): void {
  const readmePath = fileURLToPath(new URL("../README.md", import.meta.url));
  const readme = readFileSync(readmePath, "utf8");
  const updated = replaceMarkedSection(readme, renderCliReference(buildProgram()));
  if (updated === readme) {
    process.stdout.write("README.md: the option tables are up to date\n");
    return;
  }
  writeFileSync(readmePath, updated);
  process.stdout.write("README.md: rewrote the option tables from the commands\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) updateReadme();
