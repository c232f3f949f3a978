#!/usr/bin/env node
// Loads only what the command asked for: commands that ask the service must start fast, so
// nothing heavy (nats.js, pino, the service) is imported here (bench/cli-startup.ts measures it).
import { ConfigError } from "../config/config-error.js";
import { CommandError } from "./command-error.js";
import { parseCommandFlags } from "./options.js";
import { usage } from "./usage.js";

const print = (text: string) => process.stdout.write(text + "\n");

/** Runs one command; returns the exit code. Expected failures are one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  // "upgrade", "advisories" and "inventory" take a verb: "upgrade status", "upgrade wait", "advisories load FILE".
  const verb = (first === "upgrade" || first === "advisories" || first === "inventory") && rest[0] !== undefined && !rest[0].startsWith("-") ? rest[0] : undefined;
  const [command, afterVerb] = verb !== undefined ? [`${first} ${verb}`, rest.slice(1)] : [first, rest];
  // "advisories load" and "inventory apply" take the file as their one positional argument.
  const file = (command === "advisories load" || command === "inventory apply") && afterVerb[0] !== undefined && !afterVerb[0].startsWith("-") ? afterVerb[0] : undefined;
  const args = file !== undefined ? afterVerb.slice(1) : afterVerb;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    print(usage);
    return command === undefined ? 2 : 0;
  }
  if (command === "version" || command === "--version") {
    print((await import("../package-info.js")).packageInfo.version);
    return 0;
  }
  // A monitoring plugin: every outcome, bad flags included, is its status on stdout and exit code.
  if (command === "check") return (await import("./check.js")).check(args, print);
  try {
    const flags = parseCommandFlags(command, args);
    if (flags["help"]) {
      print(usage);
      return 0;
    }
    switch (command) {
      case "serve":
        return await (await import("./serve.js")).serve(flags);
      case "report":
        return await (await import("./report.js")).report(flags, print);
      case "events":
        return await (await import("./events.js")).events(flags, print);
      case "inventory apply":
        return await (await import("./inventory.js")).inventoryApply(flags, file, print);
      case "inventory show":
        return await (await import("./inventory.js")).inventoryShow(flags, print);
      case "advisories load":
        return await (await import("./advisories.js")).advisoriesLoad(flags, file, print);
      case "upgrade status":
        return await (await import("./upgrade.js")).upgradeStatus(flags, print);
      case "upgrade wait":
        return await (await import("./upgrade.js")).upgradeWait(flags, print, (line) => process.stderr.write(line + "\n"));
      default:
        return await (await import("./demo.js")).demo(flags, print);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nats-version-monitor: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommandError) {
      process.stderr.write(`nats-version-monitor: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`nats-version-monitor: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
