import { createServer, type IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';

/**
 * The demo's alert receiver (stack.demo.yml): takes Alertmanager's notifications, webhook
 * or Slack-shaped, and writes one logfmt line per alert to stdout, so that notifications
 * show up in Loki and on the Logs dashboard of a stack that cannot reach any chat or pager.
 * The path names the receiver (/oncall, /tickets, /deadmansswitch). No dependencies:
 * the stack runs it from a swarm config with the node of the app's image.
 *
 *   ALERT_SINK_PORT=8080 ALERT_SINK_HOST=0.0.0.0 node monitoring/alertmanager/webhook-sink.ts
 */
const MAX_BODY_BYTES = 1024 * 1024;

type Fields = Record<string, string | number | undefined>;

/** logfmt with the service's quoting: JSON string escaping whenever a value needs quotes. */
export function logfmt(fields: Fields): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => {
      const text = String(value);
      return `${key}=${/^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text)}`;
    })
    .join(' ');
}

interface WebhookAlert {
  status?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface SlackAttachment {
  title?: string;
  title_link?: string;
  text?: string;
}

/** One set of fields per alert (webhook payload) or per attachment (Slack payload). */
export function notificationLines(receiver: string, payload: unknown): Fields[] {
  const body = (payload ?? {}) as { status?: string; alerts?: WebhookAlert[]; attachments?: SlackAttachment[] };
  if (Array.isArray(body.alerts)) {
    return body.alerts.map((alert) => ({
      msg: 'alert notification',
      receiver,
      status: alert.status ?? body.status,
      alertname: alert.labels?.alertname,
      severity: alert.labels?.severity,
      stack: alert.labels?.stack,
      summary: alert.annotations?.summary,
      runbook_url: alert.annotations?.runbook_url,
    }));
  }
  if (Array.isArray(body.attachments)) {
    return body.attachments.map((attachment) => ({
      msg: 'alert notification',
      receiver,
      title: attachment.title,
      runbook_url: attachment.title_link,
      text: attachment.text,
    }));
  }
  return [{ msg: 'unrecognised notification', receiver }];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const write = (level: string, fields: Fields) =>
  process.stdout.write(`${logfmt({ tsp: new Date().toISOString(), lvl: level, ...fields })}\n`);

function start(port: number, host: string) {
  const server = createServer(async (request, response) => {
    const receiver = (request.url ?? '/').split('?')[0]!.replace(/^\/+/, '') || 'default';
    if (request.method !== 'POST') {
      response.writeHead(request.method === 'GET' ? 200 : 405, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    try {
      const lines = notificationLines(receiver, JSON.parse(await readBody(request)));
      for (const fields of lines) write('INFO', fields);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } catch (error) {
      write('WARN', { msg: 'refused notification', receiver, error: (error as Error).message });
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (error as Error).message }));
    }
  });
  server.listen(port, host, () => {
    const address = server.address();
    write('INFO', { msg: 'alert sink listening', port: typeof address === 'object' && address ? address.port : port });
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  start(Number(process.env.ALERT_SINK_PORT ?? 8080), process.env.ALERT_SINK_HOST ?? '127.0.0.1');
}
