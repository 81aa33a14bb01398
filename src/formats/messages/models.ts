/**
 * @module
 * `GET {prefix}/models` in Anthropic's list shape, for a request that carries
 * `anthropic-version`: the same public model names every format serves.
 */

/** Options of {@link anthropicModelList}. */
export interface ModelListOptions {
  /**
   * `created_at` of every entry (RFC 3339). The relay's public names have no date of their own.
   * @default '1970-01-01T00:00:00Z'
   */
  createdAt?: string;
}

/** Anthropic's `{data, has_more, first_id, last_id}` list of `model` objects. */
export function anthropicModelList(models: readonly string[], options: ModelListOptions = {}) {
  const createdAt = options.createdAt ?? '1970-01-01T00:00:00Z';
  return {
    data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: createdAt })),
    has_more: false,
    first_id: models[0] ?? null,
    last_id: models[models.length - 1] ?? null,
  };
}
