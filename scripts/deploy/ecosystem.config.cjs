// pm2 ecosystem file: `pm2 start scripts/deploy/ecosystem.config.cjs`.
// pm2 sends SIGINT on stop (kastor drains on SIGINT as on SIGTERM) and waits kill_timeout ms.
module.exports = {
  apps: [
    {
      name: 'kastor',
      script: 'bin/kastor.mjs',
      args: 'run all --transport kafka --brokers 127.0.0.1:9092 --data ./data --port 8080',
      cwd: __dirname + '/../..',
      exec_mode: 'fork',
      instances: 1,
      autorestart: true,
      kill_timeout: 20000,
      // Heap sized to what is live (~100 MiB + 7 KiB per live actor; see kastor.service).
      node_args: '--max-old-space-size=1024',
      env: { NODE_ENV: 'production', UV_THREADPOOL_SIZE: '16' },
    },
  ],
};
