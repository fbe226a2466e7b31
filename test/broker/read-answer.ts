/** An HTTP answer as the tests read it: status, headers, and the body as JSON, or as text when it is not JSON. */
import type { IncomingMessage } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export function readAnswer(res: IncomingMessage): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // html, css, js or an error page: kept as text
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
    });
  });
}
