/**
 * The layering kastor keeps (STYLE.md, "Dependencies point inward"), checked by `npm test`
 * (`npm run lint:deps` alone). A rule broken here is a design change: change the rule in the same
 * commit and say why.
 */
module.exports = {
  forbidden: [
    {
      name: 'actors-import-only-xstate-zod-events',
      comment: 'Machines depend on xstate, zod, the event envelope (src/events) and their own folder: nothing else.',
      severity: 'error',
      from: { path: '^actors/([^/]+)/' },
      to: {
        pathNot: ['^actors/$1/', '^src/events/', '(^|/)node_modules/(xstate|zod)/'],
      },
    },
    {
      name: 'core-never-imports-adapters',
      comment:
        'The runtime declares ports; adapters implement them; only the edges wire them: the CLI (the process) ' +
        'and each application module (src/apps/<app>/, the composition root of its application).',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '^src/apps/'] },
      to: { path: '^adapters/' },
    },
    {
      name: 'apps-reached-through-their-module',
      comment:
        'The CLI builds an application from its module alone (src/apps/index.ts, the registry, or an app folder\'s ' +
        'index.ts, its public face): never from its routes, read models or machines directly.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: ['^src/apps/[^/]+/', '^actors/'], pathNot: '^src/apps/[^/]+/index\\.ts$' },
    },
    {
      name: 'adapters-know-no-application-module',
      comment:
        'A read model adapter implements its application\'s port (src/apps/<app>/<App>ReadModel.ts), and may know its ' +
        'events; never how the application is hosted or simulated (its module, host and simulation files).',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: ['^src/apps/(index|AppModule)\\.ts$', '^src/apps/[^/]+/(index|host[A-Z][^/]*|[a-z]+Simulation)\\.ts$'] },
    },
    {
      name: 'core-never-imports-apps',
      comment: 'The runtime knows no application: apps are built on it, and wired at the CLI edge.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '^src/apps/', '^src/console/views/'] },
      to: { path: ['^src/apps/', '^actors/'] },
    },
    {
      name: 'console-views-read-app-ports-only',
      comment:
        'The console\'s view of an application (src/console/views/<app>.ts) reads its read model through the port ' +
        '(src/apps/<app>/<App>ReadModel.ts) or the app\'s public face (index.ts): never its routes, hosting or machines. ' +
        'It is the one place the console knows an application, so its tab can show what that application means.',
      severity: 'error',
      from: { path: '^src/console/views/' },
      to: { path: ['^src/apps/', '^actors/'], pathNot: '^src/apps/[^/]+/(index|[A-Z][A-Za-z]*ReadModel)\\.ts$' },
    },
    {
      name: 'apps-do-not-import-each-other',
      comment: 'One application never reaches into another (its actors, routes or read models).',
      severity: 'error',
      from: { path: '^(src/apps|actors)/([^/]+)/' },
      to: { path: '^(src/apps|actors)/([^/]+)/', pathNot: '^(src/apps|actors)/$2/' },
    },
    {
      name: 'adapters-do-not-import-each-other',
      comment:
        'Each adapter stands on the ports of src/ alone, and on the SQLite adapter where it keeps state: a ' +
        'sink commits its files and a CDC source its position in the same SQLite transaction as its offsets.',
      severity: 'error',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/', pathNot: ['^adapters/$1/', '^adapters/sqlite/'] },
    },
    {
      name: 'no-circular',
      comment: 'A cycle of runtime imports makes two modules one: merge them or cut the cycle.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
