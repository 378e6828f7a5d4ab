/**
 * `kastor token issue --sub alice --role user [--ttl 1h]`: prints a bearer token signed with the key
 * `kastor run` verifies with on the same `--data` (its embedded HS256 key, made now if the process
 * has not made it yet) or `--auth-key`. For demos, specs and operators; a deployment's users get
 * their tokens from its identity provider, signed with a key the process verifies.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ROLES, type Role, loadKeyRing } from '../../http/auth/index.js';
import { type Finish, authKeyOption, dataOption, parseDurationOption } from './options.js';

interface IssueFlags {
  readonly sub: string;
  readonly role: Role;
  readonly ttl: number;
  readonly data: string;
  readonly authKey?: string;
}

export function tokenCommand(finish: Finish, now: () => number = Date.now): Command {
  const issue = new Command('issue')
    .description('print a signed bearer token for a subject and role (use it as `authorization: Bearer <token>`)')
    .addOption(new Option('--sub <id>', 'the subject: the user, taxi or service the token acts as').makeOptionMandatory().argParser(subject))
    .addOption(new Option('--role <role>', 'what the subject is').choices([...ROLES]).default('user'))
    .addOption(new Option('--ttl <duration>', 'how long the token is good for (30s, 10m, 1h, 7d)').default(3_600_000, '1h').argParser(parseDurationOption))
    .addOption(dataOption())
    .addOption(authKeyOption())
    .action(async (flags: IssueFlags) => {
      const keys = await loadKeyRing({ dataDir: flags.data, keyFile: flags.authKey });
      console.log(await keys.issue({ sub: flags.sub, role: flags.role }, { now: now(), ttlMs: flags.ttl }));
      finish(0);
    });
  return new Command('token').description('bearer tokens for the HTTP routes (docs/security.md)').addCommand(issue);
}

function subject(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new InvalidArgumentError(`expected 1–64 letters, digits, _ or -, not '${value}'.`);
  return value;
}
