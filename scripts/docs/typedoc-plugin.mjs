// @ts-check
/**
 * A TypeDoc plugin for this repository's module comments. Our files open with
 * `@module` on its own line followed by the description, which TypeDoc reads as the
 * module's new name and then drops. This plugin turns that text back into the module's
 * summary, and names each entry point as users import it (`switchyard/express`).
 */
import { Comment, Converter, ReflectionKind } from 'typedoc';

/** Entry files (as TypeDoc names them from their paths) to their import names. */
const NAMES = {
  src: 'switchyard',
  'adapters/express': 'switchyard/express',
  'adapters/koa': 'switchyard/koa',
  'adapters/nest': 'switchyard/nest',
  'src/metrics': 'switchyard/metrics',
  'src/redis': 'switchyard/redis',
  'src/testing': 'switchyard/testing',
};

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_CREATE_DECLARATION,
    (_context, reflection) => {
      if (!reflection.kindOf(ReflectionKind.SomeModule)) return;
      const comment = reflection.comment;
      const tag = comment?.getTag('@module');
      if (comment && tag) {
        if (comment.summary.length === 0) comment.summary = Comment.cloneDisplayParts(tag.content);
        comment.removeTags('@module');
      }
      const name = NAMES[/** @type {keyof typeof NAMES} */ (reflection.name)];
      if (name) reflection.name = name;
    },
    // Before TypeDoc's own comment plugin (priority 0) reads the tag as a name.
    100,
  );
}
