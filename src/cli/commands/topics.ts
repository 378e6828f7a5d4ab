/** `kastor topics check|create [apps...]`: the topic plan of the applications, and creating it on Kafka. */
import { Command, Option } from 'commander';
import { allTopics } from '../../host/topology.js';
import { checkTopics, formatPlan } from '../../topics/checkTopics.js';
import { type DeploymentProfile, topicSpec } from '../../topics/TopicDeclaration.js';
import { APP_MODULES, resolveApps } from '../../apps/index.js';
import { requireBroker } from '../requireBroker.js';
import { type Finish, type Transport, appsArgument, brokersOption, profileOption, transportOption, wholeNumber } from './options.js';

const PROFILE = 'replication to plan for (local: 1 replica; production: 3, min.insync.replicas 2)';

function declaredTopics(apps: readonly string[]) {
  return resolveApps(apps).flatMap((m) => allTopics(m.definition()));
}

function checkCommand(finish: Finish): Command {
  return new Command('check')
    .description('print the topic plan (names, partitions, replication) and its problems; exit 1 when there are any')
    .addArgument(appsArgument(Object.keys(APP_MODULES)))
    .addOption(profileOption(PROFILE))
    .addOption(new Option('--brokers-count <n>', 'brokers in the cluster (default: 1 for local, 3 for production)').argParser(wholeNumber(1)))
    .action((apps: string[], flags: { profile: DeploymentProfile; brokersCount?: number }) => {
      const brokers = flags.brokersCount ?? (flags.profile === 'production' ? 3 : 1);
      const plan = checkTopics(declaredTopics(apps), { profile: flags.profile, brokers, kraft: true });
      console.log(formatPlan(plan));
      finish(plan.problems.length === 0 ? 0 : 1);
    });
}

interface CreateFlags {
  readonly transport: Transport;
  readonly brokers: string;
  readonly profile: DeploymentProfile;
}

function createCommand(finish: Finish): Command {
  return new Command('create')
    .description('create on Kafka the topics of the plan that are missing (existing ones are left as they are)')
    .addArgument(appsArgument(Object.keys(APP_MODULES)))
    .addOption(transportOption())
    .addOption(brokersOption())
    .addOption(profileOption(PROFILE))
    .action(async (apps: string[], flags: CreateFlags, command: Command) => {
      if (flags.transport !== 'kafka') {
        command.error('error: topics create needs --transport kafka (the memory transport creates its topics on run)', { exitCode: 2 });
      }
      const topics = declaredTopics(apps);
      await requireBroker(flags.brokers);
      const { KafkaBroker } = await import('../../../adapters/kafka/index.js');
      const broker = new KafkaBroker({ brokers: flags.brokers });
      try {
        const plan = checkTopics(topics, { profile: flags.profile, brokers: await broker.admin.brokerCount(), kraft: true });
        console.log(formatPlan(plan));
        if (plan.problems.length > 0) return finish(1);
        await broker.admin.createTopics(topics.map((t) => topicSpec(t, flags.profile)));
        console.log(`created what was missing of ${topics.length} topics on ${flags.brokers}`);
      } finally {
        await broker.close();
      }
      finish(0);
    });
}

export function topicsCommand(finish: Finish): Command {
  return new Command('topics')
    .description('the topics the applications declare (config/)')
    .addCommand(checkCommand(finish))
    .addCommand(createCommand(finish));
}
