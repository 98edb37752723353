// One router for the console RPC: channel → zod-validated handler → envelope.
// Both transports (Electron IPC, browser-mode bridge) call `handle`; neither validates on its own.
import { z } from 'zod';
import { AppError, issuesFromZod } from '../../shared/errors.js';
import { channels, type Channel, type ChannelOutput, type Envelope } from '../../shared/rpc.js';

export type Handlers = {
  [C in Channel]: (input: z.output<(typeof channels)[C]['input']>) => Promise<ChannelOutput<C>>;
};

export interface Router {
  handle(channel: unknown, payload: unknown): Promise<Envelope<unknown>>;
}

export function isChannel(name: unknown): name is Channel {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(channels, name);
}

export function createRouter(handlers: Handlers, log: (line: string) => void = () => undefined): Router {
  return {
    async handle(channel, payload) {
      if (!isChannel(channel)) {
        const name = typeof channel === 'string' ? channel.slice(0, 64) : typeof channel;
        return { ok: false, error: { code: 'unknown_channel', message: `There is no console channel “${name}”` } };
      }
      const def = channels[channel];
      const parsed = def.input.safeParse(payload ?? {});
      if (!parsed.success) {
        const details = issuesFromZod(parsed.error);
        const first = details[0]!;
        return {
          ok: false,
          error: {
            code: 'invalid_payload',
            message: details.length > 1 ? `${first.message} (and ${details.length - 1} more)` : first.message,
            details,
          },
        };
      }
      try {
        const handler = handlers[channel] as (input: unknown) => Promise<unknown>;
        const value = await handler(parsed.data);
        return { ok: true, value };
      } catch (err) {
        if (err instanceof AppError) return { ok: false, error: err.toBody() };
        // A bug, not an expected failure: log the kind (never the payload: it may hold a secret).
        log(`rpc ${channel} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        return { ok: false, error: { code: 'internal', message: 'Something went wrong in the console. Try again.' } };
      }
    },
  };
}
