import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { APP_MODULES } from '../../src/apps/index.js';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { allTopics } from '../../src/host/topology.js';
import { createHttpApp } from '../../src/http/createHttpApp.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { silentLogger } from '../../src/log/Logger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { Tokens } from '../support/auth.js';

const APPS_DIR = join(import.meta.dirname, '../../src/apps');

describe('application modules', () => {
  it('has one registry line per application folder, under the folder\'s name', () => {
    const folders = readdirSync(APPS_DIR).filter((f) => statSync(join(APPS_DIR, f)).isDirectory()).sort();
    expect(Object.keys(APP_MODULES).sort()).to.deep.equal(folders);
    for (const [name, module] of Object.entries(APP_MODULES)) {
      expect(module.name).to.equal(name);
      expect(module.definition().name).to.equal(name);
    }
  });

  for (const module of Object.values(APP_MODULES)) {
    it(`hosts ${module.name} with the topics its definition declares, and routes on the edge`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), `kastor-module-${module.name}-`));
      const db = new Database(':memory:');
      const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
      const broker = new MemoryBroker({ clock });
      const http = createHttpApp({ log: silentLogger, auth: (await Tokens.spec()).auth });
      const routes: string[] = [];
      http.addHook('onRoute', (r) => { routes.push(`${r.method} ${r.url}`); });
      try {
        const hosted = module.host({
          db, readDb: db, dataDir, transport: 'memory', broker, producer: broker.producer({}), clock,
          ids: seededIdSource(1), logger: silentLogger, metrics: new Metrics(), env: { ...module.simulationEnv },
        });
        const names = (d: typeof hosted.definition) => allTopics(d).map((t) => t.name).sort();
        expect(names(hosted.definition)).to.deep.equal(names(module.definition()));
        hosted.routes(http);
        await http.ready();
        expect(routes.filter((r) => r.includes(`/${module.name}/`)), 'routes under /<app>/').to.not.be.empty;
      } finally {
        await http.close();
        await broker.close();
        db.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
