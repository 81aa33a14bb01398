/**
 * Host code using the relay without its route: `SwitchyardService.stream()` is an
 * Observable, so it plugs into Nest's `@Sse()`. A client that goes away unsubscribes,
 * which aborts the upstream request.
 */
import { Controller, Inject, Query, Sse, type MessageEvent } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { SwitchyardService } from 'switchyard/nest';

@Controller('haiku')
export class HaikuController {
  constructor(@Inject(SwitchyardService) private readonly llm: SwitchyardService) {}

  @Sse()
  haiku(@Query('topic') topic = 'failover'): Observable<MessageEvent> {
    const messages = [{ role: 'user', content: `Write a haiku about ${topic}.` }];
    return this.llm
      .stream({ model: 'gpt-4.1', messages })
      .pipe(map((chunk) => ({ data: (chunk.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? '' })));
  }
}
