/**
 * The flags every connected command (demo, post, contribute, token) shares. Kept free of heavy imports so that
 * `rcc --version` and `--help` load only commander (start-up under 300 ms).
 */
import { type Command, Option } from "commander";
import { LOG_FORMATS, LOG_LEVELS, POST_MODES, SCHEMES, type SettingsFlags } from "./settings.js";

/** Flags every connected command has. */
export interface ConnectionFlags extends SettingsFlags {
  json?: boolean;
  verbose?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The spellings of LSEG's Python example (`--app_id`, `--auth_url`), accepted as hidden aliases of ours: each sets
 * the value of the flag it stands for, so the rest of the CLI sees only `appId` and `authUrl`.
 */
const TUTORIAL_ALIASES = [
  { flags: "--app_id <id>", event: "option:app_id", key: "appId" },
  { flags: "--auth_url <url>", event: "option:auth_url", key: "authUrl" },
] as const;

function addTutorialAliases(command: Command): void {
  for (const alias of TUTORIAL_ALIASES) {
    command.addOption(new Option(alias.flags).hideHelp());
    command.on(alias.event, (value: string) => command.setOptionValueWithSource(alias.key, value, "cli"));
  }
}

/** Which optional groups of flags a command takes. */
export interface ConnectionOptionGroups {
  /**
   * The command opens a WebSocket. `false` (`rcc token`, which only asks the token endpoint): the WebSocket-only
   * flags (`--url`, `--hostname`, `--port`, `--scheme`, `--app-id`, `--position`, `--service`, `--login-name`,
   * `--trace`) are still accepted, so one command line, alias or config shared by every command keeps working,
   * but hidden from `--help` and not used.
   * @default true
   */
  webSocket?: boolean;
  /** `--post-mode`: off-stream or on-stream posts (commands that post). @default false */
  postMode?: boolean;
  /**
   * `--hostname`, `--port` and `--scheme`, the tutorial's way to name the endpoint. `false` (`rcc gateway`, whose
   * `--port` is its own HTTP port): the endpoint is given with `--url` only. @default true
   */
  endpointParts?: boolean;
  /** `--config`, the JSON file of connection settings. `false`: the command has a `--config` of its own. @default true */
  configFile?: boolean;
}

/**
 * Adds the connection flags (the tutorial's `--user --password --clientid --hostname --port --app_id --position
 * --auth_url --scope`, plus endpoints, TLS and logging), and the optional groups of {@link ConnectionOptionGroups}.
 */
export function addConnectionOptions(command: Command, groups: ConnectionOptionGroups = {}): Command {
  const webSocket = groups.webSocket !== false;
  /** Adds a flag that only a command opening a WebSocket uses: listed in its help, else hidden but accepted. */
  const webSocketOption = (option: Option): void => {
    command.addOption(webSocket ? option : option.hideHelp());
  };
  command
    .option("--user <machine-id>", "machine ID (RCC_USER)")
    .option(
      "--password <password>",
      "password; visible to other users of this machine, prefer --password-file (RCC_PASSWORD)",
    )
    .option("--password-file <file>", "read the password from a file; ~/ is your home directory (RCC_PASSWORD_FILE)")
    .option("--clientid <id>", "client id / app key; defaults to the machine ID (RCC_CLIENT_ID)");
  webSocketOption(
    new Option(
      "--login-name <user>",
      "log in with this DACS user name instead of an RDP token (RCC through an on-site ADS, or rcc simulate --profile ads); --user, the password and --auth-url are then not used (RCC_LOGIN_NAME)",
    ),
  );
  if (groups.postMode === true) {
    command.addOption(
      new Option(
        "--post-mode <mode>",
        "off-stream: each post names its RIC on the Login stream, as RCC documents; on-stream: open a stream per RIC and post on it, as through an on-site ADS (RCC_POST_MODE) (default: off-stream)",
      ).choices(POST_MODES),
    );
  }
  addTutorialAliases(command);
  command
    .option("--auth-url <url>", "RDP token endpoint (RCC_AUTH_URL)")
    .addOption(new Option("--env <env>", "LSEG token endpoint: ppe or prod (RCC_ENV)").choices(["ppe", "prod"]))
    .option("--scope <scope>", "scope of the token request; default: none sent (RCC_SCOPE)");
  webSocketOption(
    new Option(
      "--url <url>",
      "RCC WebSocket endpoint, wss://host/WebSocket; repeat for failover order (RCC_URLS, comma-separated)",
    ).argParser(collect),
  );
  if (groups.endpointParts !== false) {
    webSocketOption(
      new Option(
        "--hostname <host>",
        "RCC host, as in LSEG's Python example: the endpoint is <scheme>://<host>[:<port>]/WebSocket; not with --url (RCC_HOSTNAME)",
      ),
    );
    webSocketOption(
      new Option("--port <port>", "port of --hostname, 1-65535 (RCC_PORT) (default: 443 for wss, 80 for ws)"),
    );
    webSocketOption(
      new Option("--scheme <scheme>", "scheme of --hostname: wss (TLS) or ws (RCC_SCHEME) (default: wss)").choices(
        SCHEMES,
      ),
    );
  }
  webSocketOption(new Option("--app-id <id>", "Login ApplicationId (RCC_APP_ID) (default: 256)"));
  webSocketOption(
    new Option("--position <ip/host>", "Login Position; default: this machine's IP/hostname (RCC_POSITION)"),
  );
  webSocketOption(new Option("--service <name>", "service of the posts (RCC_SERVICE) (default: DDS_TRCE)"));
  command.option("--ca <file>", "PEM file of extra trusted certificate authorities (RCC_CA)");
  if (groups.configFile !== false) {
    command.option(
      "--config <file>",
      "JSON config file with the same keys; its relative file paths are from its own folder (RCC_CONFIG)",
    );
  }
  command
    .option(
      "--connect-timeout <ms>",
      "give up when not connected (token, WebSocket handshake and Login together) within this many milliseconds (RCC_CONNECT_TIMEOUT) (default: 30000)",
    )
    .addOption(
      new Option(
        "--log-level <level>",
        "log level on stderr; trace also prints every WebSocket frame, as --trace does (RCC_LOG_LEVEL) (default: silent)",
      ).choices(LOG_LEVELS),
    );
  webSocketOption(
    new Option(
      "--trace",
      "print every WebSocket frame sent and received on stderr, pretty-printed after SENT: / RECEIVED:, tokens and passwords masked (RCC_TRACE=1)",
    ),
  );
  return command
    .addOption(
      new Option(
        "--log-format <format>",
        "log format on stderr (RCC_LOG_FORMAT) (default: pretty on a terminal, else json)",
      ).choices(LOG_FORMATS),
    )
    .option("--json", "machine-readable output: one JSON object per line on stdout")
    .option("--verbose", "show stack traces on errors");
}
