/**
 * Specs against the local PostgreSQL (`bash scripts/postgres-cdc-setup.sh` prepares it: wal_level
 * logical, database kastor_bank; KASTOR_PG_URL points elsewhere). As with Kafka
 * (spec/support/kafka.ts): when PostgreSQL is unreachable or not set up for logical replication,
 * the suite is skipped with a note saying how to run it — except on CI (`CI` set), where it fails.
 */
import type { Suite } from 'mocha';
import { skipFor } from '../../support/skipTally.js';
import { connectPostgres, type PgClient } from '../../../adapters/cdc/PostgresChangeSource.js';

export function postgresUrl(): string {
  return process.env.KASTOR_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/kastor_bank';
}

/** Why PostgreSQL cannot serve the CDC specs, or undefined when it can. */
async function unavailable(url: string): Promise<string | undefined> {
  let client: PgClient | undefined;
  try {
    client = await Promise.race([
      connectPostgres(url),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3_000).unref()),
    ]);
    const level = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0].wal_level;
    return level === 'logical' ? undefined : `wal_level is '${level}', not 'logical'`;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client?.end().catch(() => undefined);
  }
}

let availability: Promise<string | undefined> | undefined;

/** `describe` for a suite that needs PostgreSQL with logical replication. */
export function describePostgres(title: string, body: (this: Suite) => void): Suite {
  return describe(title, function () {
    before(async function () {
      this.timeout(5_000);
      availability ??= unavailable(postgresUrl());
      const why = await availability;
      if (why === undefined) return;
      const hint = 'run `bash scripts/postgres-cdc-setup.sh` (or point KASTOR_PG_URL at a prepared server)';
      if (process.env.CI) throw new Error(`PostgreSQL at ${postgresUrl()} cannot run the CDC specs (${why}) and CI is set: ${hint}`);
      skipFor(this, 'PostgreSQL CDC', `PostgreSQL at ${postgresUrl()} cannot run the CDC specs: ${why}; ${hint}`);
    });
    body.call(this);
  });
}
