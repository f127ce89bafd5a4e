/**
 * What `npm test` needs before it runs (its `pretest`): a redis-server for the Redis store tests,
 * which fail rather than skip without one. When it is missing, root on a machine with apt installs
 * it; anyone else is stopped at once with the one command to run.
 */
import { spawnSync } from 'node:child_process';

/** Whether `command --version` runs. */
function runs(command) {
  const probe = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/** The one command that installs redis-server here. */
function installCommand(root) {
  if (process.platform === 'darwin') return 'brew install redis';
  const sudo = root ? '' : 'sudo ';
  return runs('apt-get') ? `${sudo}apt-get install -y redis-server` : `your package manager's redis package (e.g. ${sudo}dnf install redis)`;
}

/** Installs redis-server with apt, as CI and a fresh root container do; true when it then runs. */
function aptInstall() {
  process.stderr.write('npm test: redis-server is missing; installing it with apt-get (the Redis store tests need it)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'redis-server']]) {
    if (spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env }).status !== 0) return false;
  }
  return runs('redis-server');
}

if (!runs('redis-server')) {
  const root = process.getuid?.() === 0;
  if (!(root && process.platform === 'linux' && runs('apt-get') && aptInstall())) {
    process.stderr.write(`npm test needs redis-server for the Redis store tests. Install it, then run npm test again: ${installCommand(root)}\n`);
    process.exit(1);
  }
}
