/**
 * @module
 * The relay's routes as a Nest controller, so the host's guards, interceptors, pipes and
 * exception filters run in front of them as for any route. The handlers take the raw
 * request and response (`@Req`, `@Res`) and hand them to the core, which writes JSON,
 * SSE or the OpenAI error envelope itself.
 */
import { Controller, Get, Inject, Post, Req, Res, type Type } from '@nestjs/common';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Relay, handleChatCompletion, handleEmbeddings, handleModels } from 'switchyard';

/** Express hands Nest Node's own objects; Fastify wraps them. */
type PlatformRequest = IncomingMessage & { raw?: IncomingMessage; body?: unknown };
type PlatformResponse = ServerResponse | { raw: ServerResponse; hijack(): void; getHeaders(): OutgoingHttpHeaders };

function nodeRequest(req: PlatformRequest): IncomingMessage {
  return req.raw ?? req;
}

/**
 * With the platform's JSON parser on, the stream is read and `body` is its result;
 * without it (`bodyParser: false`) the relay reads the body under its own limit.
 */
function parsedBody(req: PlatformRequest): unknown {
  return nodeRequest(req).readableEnded ? req.body : undefined;
}

/** Node's response, taken over from Fastify when that is the platform. */
function nodeResponse(res: PlatformResponse): ServerResponse {
  if (!('raw' in res)) return res;
  // Fastify sends nothing itself after hijack(), so headers the host set through the
  // reply (CORS, interceptors) go onto the raw response before the relay writes it.
  res.hijack();
  for (const [name, value] of Object.entries(res.getHeaders())) if (value !== undefined) res.raw.setHeader(name, value);
  return res.raw;
}

/** The routes (`POST chat/completions`, `POST embeddings`, `GET models`); {@link relayController} mounts them under a path. */
export class SwitchyardController {
  constructor(@Inject(Relay) private readonly relay: Relay) {}

  @Post('chat/completions')
  async chatCompletions(@Req() req: PlatformRequest, @Res() res: PlatformResponse): Promise<void> {
    await handleChatCompletion(this.relay, nodeRequest(req), nodeResponse(res), parsedBody(req));
  }

  @Post('embeddings')
  async embeddings(@Req() req: PlatformRequest, @Res() res: PlatformResponse): Promise<void> {
    await handleEmbeddings(this.relay, nodeRequest(req), nodeResponse(res), parsedBody(req));
  }

  @Get('models')
  models(@Res() res: PlatformResponse): void {
    handleModels(this.relay, nodeResponse(res));
  }
}

/** A controller class serving the relay's routes under `path`. */
export function relayController(path: string): Type<SwitchyardController> {
  @Controller(path)
  class RelayController extends SwitchyardController {}
  return RelayController;
}
