/**
 * The host's own auth: every route needs `Authorization: Bearer <clientKey>` unless it
 * is marked `@Public()`. The relay's routes are no exception.
 */
import { Inject, Injectable, SetMetadata, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';

const IS_PUBLIC = 'isPublic';
export const Public = () => SetMetadata(IS_PUBLIC, true);

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ConfigService) private readonly config: ConfigService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const key = this.config.get<string>('clientKey');
    const given = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization;
    if (!key || given === `Bearer ${key}`) return true;
    // OpenAI's envelope, so OpenAI clients show the message.
    throw new UnauthorizedException({ error: { message: 'Invalid API key.', type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
  }
}
