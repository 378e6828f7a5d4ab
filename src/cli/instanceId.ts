/**
 * The name of this instance, kept in its data directory (`instance`): made once, at random, when a
 * directory is first used, and the same on every later start from it. A read model every instance
 * builds (Stage.everyInstance) reads in a consumer group of its own named after it, so that each
 * instance is given every partition (docs/scale-out.md).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function settleInstanceId(dataDir: string): string {
  const file = join(dataDir, 'instance');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (!NAME.test(id)) throw new Error(`${file} holds "${id}", not an instance name (lowercase letters, digits, '-'): delete the file to have a new one made`);
    return id;
  }
  const id = randomBytes(6).toString('hex');
  writeFileSync(file, `${id}\n`);
  return id;
}
