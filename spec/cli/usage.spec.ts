import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './runCli.js';

// The command line's contract with a shell: --help exits 0, a usage error exits 2 with the
// command's usage, a bad value is named on one line.
describe('kastor usage', function () {
  this.timeout(60_000);

  it('`kastor --help` and `kastor <cmd> --help` print the usage and exit 0', async () => {
    const [top, run, create] = await Promise.all([runCli(['--help']), runCli(['run', '--help']), runCli(['topics', 'create', '--help'])]);
    expect(top.code, top.stderr).to.equal(0);
    expect(top.stdout).to.include('Usage: kastor').and.include('simulate').and.include('topics');
    expect(run.code).to.equal(0);
    expect(run.stdout).to.include('Usage: kastor run').and.include('--max-live-actors').and.include('--profile');
    expect(create.code).to.equal(0);
    expect(create.stdout).to.include('Usage: kastor topics create').and.include('--brokers');
  });

  it('rejects an unknown option or command with that command\'s usage, exit 2', async () => {
    const [option, command, none] = await Promise.all([runCli(['run', '--bogus']), runCli(['bogus']), runCli([])]);
    expect(option.code).to.equal(2);
    expect(option.stderr).to.include("unknown option '--bogus'").and.include('Usage: kastor run');
    expect(command.code).to.equal(2);
    expect(command.stderr).to.include("unknown command 'bogus'").and.include('Usage: kastor');
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include('Usage: kastor');
  });

  it('rejects bad values with a line that names them, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['run', '--port', '99999'], "'99999' is invalid. expected a port number"],
      [['run', '--transport', 'rabbit'], "'rabbit' is invalid. Allowed choices are memory, kafka"],
      [['run', '--profile', 'staging'], "'staging' is invalid. Allowed choices are local, production"],
      [['run', '--max-live-actors', '0'], "'0' is invalid. expected a whole number >= 1"],
      [['run', 'nosuchapp'], "'nosuchapp' is invalid for argument 'apps'. Allowed choices are social"],
      [['simulate', '--duration', '3x'], "duration '3x' is not like 30s"],
      [['bank', 'seed-db', '--count', 'many'], "'many' is invalid. expected a whole number >= 0"],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i][0].join(' ')).to.equal(2);
      expect(r.stderr, cases[i][0].join(' ')).to.include(cases[i][1]);
    });
  });

  it('batch show-popularity says why it found nothing when no sink file is sealed yet', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kastor-usage-'));
    try {
      const r = await runCli(['batch', 'show-popularity', '--root', root]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.include(`no sealed file of tracking.movieflix.show_position under ${join(root, 'tracking.movieflix.show_position')}`)
        .and.include('10 minutes after opening it');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
