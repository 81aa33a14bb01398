/** A route of the host's own, public: liveness plus each target's breaker state. */
import { Controller, Get, Inject } from '@nestjs/common';
import { Relay } from 'switchyard';
import { Public } from './api-key.guard.js';

@Controller('health')
export class HealthController {
  constructor(@Inject(Relay) private readonly relay: Relay) {}

  @Public()
  @Get()
  health() {
    return { status: 'ok', targets: this.relay.targets() };
  }
}
