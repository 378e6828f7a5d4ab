/**
 * The notification service's push channel: `GET /bank/users/:userId/alerts/stream` as
 * server-sent events (text/event-stream). Each committed alert of the user is sent as
 * `id: <alertId>` / `event: alert` / `data: <json>`; a client that reconnects with `Last-Event-ID`
 * first gets what it missed. A comment line (`: heartbeat`) goes out every `heartbeatMs` on the
 * injected clock so that proxies keep the connection open and dead clients are noticed. When the
 * client goes away, the subscription and the timer go with it.
 */
import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../../clock/Clock.js';
import type { AlertView, BankReadModel } from './BankReadModel.js';

export interface AlertStreamOptions {
  readonly readModel: BankReadModel;
  readonly clock: Clock;
  readonly heartbeatMs: number;
  /** The id of the last alert the client has (`Last-Event-ID`). */
  readonly lastEventId?: string;
  /** Most alerts replayed on reconnect. */
  readonly replayLimit?: number;
}

/** Writes the stream on `res` (a hijacked reply's raw response) until the client goes away. */
export function streamAlerts(res: ServerResponse, userId: string, options: AlertStreamOptions): void {
  const { readModel, clock, heartbeatMs } = options;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: 3000\n: alerts of ${userId}\n\n`);
  const send = (alert: AlertView) => {
    res.write(`id: ${alert.alertId}\nevent: alert\ndata: ${JSON.stringify(alert)}\n\n`);
  };
  // Replay and subscribe in one tick: the read model publishes only between batches, so no
  // alert falls between the two, and none is sent twice.
  if (options.lastEventId) for (const alert of readModel.alertsAfter(userId, options.lastEventId, options.replayLimit ?? 100)) send(alert);
  const unsubscribe = readModel.subscribe(userId, send);
  let timer: TimerHandle | undefined;
  const beat = () => {
    if (res.destroyed || res.writableEnded) return close();
    res.write(': heartbeat\n\n');
    timer = clock.setTimeout(beat, heartbeatMs);
  };
  timer = clock.setTimeout(beat, heartbeatMs);
  const close = () => {
    unsubscribe();
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  res.once('close', close);
  res.once('error', close);
}
