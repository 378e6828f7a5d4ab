/** `kastor run [apps...]`: hosts the applications until a signal (src/cli/runCommand.ts). */
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import type { DeploymentProfile } from '../../topics/TopicDeclaration.js';
import { APP_MODULES } from '../../apps/index.js';
import type { RateLimits } from '../../http/auth/index.js';
import { type RunOptions, runUntilSignalled } from '../runCommand.js';
import {
  type Transport, appsArgument, authKeyOption, authPreviousKeyOption, brokersOption, dataOption, parsePort, profileOption, rateLimitOption, transportOption, wholeNumber,
} from './options.js';

interface RunFlags {
  readonly transport: Transport;
  readonly brokers: string;
  readonly data: string;
  readonly port: number;
  readonly host: string;
  readonly changelogs?: 'on' | 'off';
  readonly profile: DeploymentProfile;
  readonly maxLiveActors: number;
  readonly authKey?: string;
  readonly authPreviousKey?: string;
  readonly rateLimit: RateLimits;
  readonly demo?: boolean;
  readonly workers?: number;
}

export const DEFAULT_MAX_LIVE_ACTORS = 10_000;

/** The process's options from the command line's. */
export function runOptions(apps: readonly string[], flags: RunFlags): RunOptions {
  return {
    apps,
    transport: flags.transport,
    brokers: flags.brokers,
    dataDir: flags.data,
    port: flags.port,
    host: flags.host,
    // Partitions move between instances on Kafka: state must follow them.
    changelogs: flags.changelogs === undefined ? flags.transport === 'kafka' : flags.changelogs === 'on',
    profile: flags.profile,
    maxLiveActors: flags.maxLiveActors,
    auth: { keyFile: flags.authKey, previousKeyFile: flags.authPreviousKey, rateLimits: flags.rateLimit },
    ...(flags.demo ? { demo: true } : {}),
    workers: flags.workers ?? availableParallelism(),
    workersExplicit: flags.workers !== undefined,
  };
}

/** `start` runs the process; it returns once it is serving (the signal handlers end it). */
export function runCommand(start: (options: RunOptions) => Promise<void> = runUntilSignalled): Command {
  return new Command('run')
    .description('host the applications\' actors and HTTP routes until SIGTERM or SIGINT (then drain and exit 0; a fatal fault exits 1)')
    .addArgument(appsArgument(Object.keys(APP_MODULES)))
    .addOption(transportOption())
    .addOption(brokersOption())
    .addOption(dataOption())
    .addOption(new Option('--port <n>', 'HTTP port (0: any free port)').default(8080).argParser(parsePort))
    .addOption(new Option('--host <address>', 'HTTP address to listen on').default('0.0.0.0'))
    .addOption(new Option('--changelogs <on|off>', 'back actor state with changelog topics (default: on with kafka)').choices(['on', 'off']))
    .addOption(profileOption('replicas of the topics created when missing (local: 1; production: 3, min.insync.replicas 2)'))
    .addOption(new Option('--max-live-actors <n>', 'actors kept in memory per entity; the others are passivated to the store')
      .default(DEFAULT_MAX_LIVE_ACTORS).argParser(wholeNumber(1)))
    .addOption(authKeyOption())
    .addOption(authPreviousKeyOption())
    .addOption(rateLimitOption())
    .addOption(new Option('--workers <n>', 'worker threads running the stages, each owning a share of every stage\'s partitions (default: the number of cores; 1: this thread)')
      .argParser(wholeNumber(1)))
    .addOption(new Option('--demo', 'drive seeded traffic through the apps\' own routes, for the console\'s views (/console)'))
    .action(async (apps: string[], flags: RunFlags) => {
      await start(runOptions(apps, flags));
    });
}
