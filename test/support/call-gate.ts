/**
 * A pass-through proxy in front of the fake Bot API that can hold the calls of chosen methods until
 * the test releases them. A process test then knows, without timing, that the app is in the middle
 * of a call (starting, or sending during a stop) when it acts.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The proxy: point TELEGRAM_API_ROOT at `apiRoot`. */
export class CallGate {
  apiRoot = '';
  private readonly holding = new Set<string>();
  private readonly waiting: Array<{ method: string; go: () => void }> = [];
  private readonly server: Server;

  private constructor(private readonly target: URL) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Starts the proxy on a free 127.0.0.1 port, forwarding to `target` (the fake's apiRoot). */
  static async start(target: string): Promise<CallGate> {
    const gate = new CallGate(new URL(target));
    await new Promise<void>((resolve) => gate.server.listen(0, '127.0.0.1', resolve));
    gate.apiRoot = `http://127.0.0.1:${(gate.server.address() as AddressInfo).port}`;
    return gate;
  }

  /** From now on, calls of `method` wait here until `release()`. */
  hold(method: string): void {
    this.holding.add(method);
  }

  /** How many calls of `method` are waiting now. */
  held(method: string): number {
    return this.waiting.filter((w) => w.method === method).length;
  }

  /** Stops holding and lets every waiting call through. */
  release(): void {
    this.holding.clear();
    for (const w of this.waiting.splice(0)) w.go();
  }

  /** Lets anything waiting through, then closes the proxy. */
  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = (req.url ?? '').split('?')[0]!.split('/').pop() ?? '';
    const forward = () => {
      const out = request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    if (this.holding.has(method)) this.waiting.push({ method, go: forward });
    else forward();
  }
}
