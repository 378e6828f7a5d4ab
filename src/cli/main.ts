/** The `kastor` command line. */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SystemClock } from '../clock/SystemClock.js';
import { checkTopics, formatPlan } from '../topics/checkTopics.js';
import type { DeploymentProfile } from '../topics/TopicDeclaration.js';
import { topicSpec } from '../topics/TopicDeclaration.js';
import { allTopics } from '../host/topology.js';
import { APP_DEFINITIONS, resolveApps } from './apps.js';
import { runUntilSignalled } from './runCommand.js';
import { formatReport, parseDuration, parseFaults, runSimulation } from './simulateCommand.js';

const USAGE = `usage:
  kastor run [apps...|all] [--transport memory|kafka] [--brokers host:port] [--data ./data] [--port 8080]
             [--changelogs on|off]   (default: on with kafka, where partitions move between instances)
  kastor simulate [apps...|all] [--seed N] [--duration 1h] [--faults crash,drop,duplicate,pause,redeliver,reorder|all|none]
                  [--users N] [--rate N per second] [--json]
  kastor logs forward <file|-> --service NAME --transport kafka [--brokers host:port]
  kastor batch show-popularity [--root ./data/files] [--out file|-] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
  kastor bank seed-db [--data ./data] [--count N] [--users N] [--malformed N] [--seed N]
  kastor topics check [apps...|all] [--profile local|production] [--brokers-count N]
  kastor topics create [apps...|all] --transport kafka --brokers host:port [--profile local|production]

apps: ${Object.keys(APP_DEFINITIONS).join(', ')}`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      transport: { type: 'string', default: 'memory' },
      brokers: { type: 'string', default: '127.0.0.1:9092' },
      data: { type: 'string', default: './data' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '0.0.0.0' },
      profile: { type: 'string', default: 'local' },
      'brokers-count': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string', default: '1h' },
      faults: { type: 'string', default: 'none' },
      users: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
      service: { type: 'string' },
      root: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      count: { type: 'string' },
      malformed: { type: 'string' },
      changelogs: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const transport = values.transport === 'kafka' ? 'kafka' : values.transport === 'memory' ? 'memory' : undefined;
  if (!transport) throw new Error(`--transport must be memory or kafka, not ${values.transport}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not ${values.port}`);
  const profile = values.profile as DeploymentProfile;
  if (profile !== 'local' && profile !== 'production') throw new Error('--profile must be local or production');

  switch (command) {
    case 'run': {
      if (values.changelogs !== undefined && values.changelogs !== 'on' && values.changelogs !== 'off') {
        throw new Error(`--changelogs must be on or off, not ${values.changelogs}`);
      }
      const changelogs = values.changelogs === undefined ? transport === 'kafka' : values.changelogs === 'on';
      await runUntilSignalled({ apps: rest, transport, brokers: values.brokers, dataDir: values.data!, port, host: values.host, changelogs });
      return -1;
    }
    case 'simulate': {
      const report = await runSimulation({
        apps: rest,
        seed: Number(values.seed),
        durationMs: parseDuration(values.duration!),
        faults: parseFaults(values.faults),
        sizes: { users: Number(values.users), rate: Number(values.rate) },
      });
      console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
      return report.ok ? 0 : 1;
    }
    case 'logs': {
      const [sub, file] = rest;
      if (sub !== 'forward' || !file || !values.service) throw new Error('usage: kastor logs forward <file|-> --service NAME --transport kafka');
      const { logsForwardCommand } = await import('./apps/ops.js');
      console.error(JSON.stringify({ message: 'logs forwarded', ...(await logsForwardCommand({ file, service: values.service, transport, brokers: values.brokers })) }));
      return 0;
    }
    case 'batch': {
      const { runBatchJob } = await import('../batch/index.js');
      const r = await runBatchJob(rest[0], { root: values.root ?? join(values.data!, 'files'), out: values.out ?? '-', from: values.from, to: values.to });
      console.error(JSON.stringify({ message: 'batch job done', ...r }));
      return 0;
    }
    case 'bank': {
      if (rest[0] !== 'seed-db') throw new Error(`unknown bank command '${rest[0] ?? ''}' (seed-db)`);
      const { seedDbCommand } = await import('../apps/bank/seedDb.js');
      console.log(seedDbCommand({ data: values.data!, count: values.count, seed: values.seed, malformed: values.malformed,
        users: argv.some((a) => a.startsWith('--users')) ? values.users : undefined }, new SystemClock().now()));
      return 0;
    }
    case 'topics': {
      const [sub, ...apps] = rest;
      const topics = resolveApps(apps).flatMap((a) => allTopics(APP_DEFINITIONS[a]()));
      if (sub === 'check') {
        const brokers = Number(values['brokers-count'] ?? (profile === 'production' ? 3 : 1));
        const plan = checkTopics(topics, { profile, brokers, kraft: true });
        console.log(formatPlan(plan));
        return plan.problems.length === 0 ? 0 : 1;
      }
      if (sub === 'create') {
        if (transport !== 'kafka') throw new Error('topics create needs --transport kafka (the memory transport creates its topics on run)');
        const { KafkaBroker } = await import('../../adapters/kafka/index.js');
        const broker = new KafkaBroker({ brokers: values.brokers! });
        try {
          const brokers = await broker.admin.brokerCount();
          const plan = checkTopics(topics, { profile, brokers, kraft: true });
          console.log(formatPlan(plan));
          if (plan.problems.length > 0) return 1;
          await broker.admin.createTopics(topics.map((t) => topicSpec(t, profile)));
          console.log(`created what was missing of ${topics.length} topics on ${values.brokers}`);
        } finally {
          await broker.close();
        }
        return 0;
      }
      throw new Error(`unknown topics command '${sub ?? ''}' (check, create)`);
    }
    default:
      throw new Error(`unknown command '${command}'\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit once stdout has drained: a piped stdout is asynchronous and exit() would cut it.
    if (code >= 0) process.stdout.write('', () => process.exit(code));
  },
  (e: Error) => {
    console.error(`kastor: ${e.message}`);
    process.exit(2);
  },
);
