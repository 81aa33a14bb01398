/**
 * @module
 * Small checks for request validation. Each one names the path of the field it refuses
 * (`input[2].content[0].text`) in the message and in `param`, so every format's 400
 * says exactly what is wrong, in the words OpenAI's own API uses.
 */
import { InvalidRequestError } from '../errors/index.js';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `null`, `array` or the `typeof` of a value, for messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** Throws the 400 for `path`. */
export function refuse(path: string, problem: string): never {
  throw new InvalidRequestError(problem, path);
}

/** Throws "Missing required parameter". */
export function missing(path: string): never {
  refuse(path, `Missing required parameter: \`${path}\`.`);
}

/** Throws "Invalid type for ...". */
export function wrongType(path: string, expected: string, value: unknown): never {
  refuse(path, `Invalid type for \`${path}\`: expected ${expected}, got ${typeName(value)}.`);
}

/** The body as an object, or the 400 every format gives a non-object body. */
export function objectBody(body: unknown): Json {
  if (!isObject(body)) throw new InvalidRequestError(`The request body must be a JSON object, got ${typeName(body)}.`);
  return body;
}

/** A required non-empty string. */
export function requireString(value: unknown, path: string): string {
  if (value === undefined) missing(path);
  if (typeof value !== 'string' || value === '') wrongType(path, 'a non-empty string', value);
  return value;
}

/** Checks an optional field (absent or null passes) with `check`. */
export function optional(value: unknown, path: string, check: (value: unknown, path: string) => void): void {
  if (value !== undefined && value !== null) check(value, path);
}

export function checkString(value: unknown, path: string): void {
  if (typeof value !== 'string') wrongType(path, 'a string', value);
}

export function checkBoolean(value: unknown, path: string): void {
  if (typeof value !== 'boolean') wrongType(path, 'a boolean', value);
}

export function checkObject(value: unknown, path: string): void {
  if (!isObject(value)) wrongType(path, 'an object', value);
}

/** A number in `[min, max]`. */
export function checkNumber(min: number, max: number) {
  return (value: unknown, path: string): void => {
    if (typeof value !== 'number' || !Number.isFinite(value)) wrongType(path, 'a number', value);
    if (value < min || value > max) refuse(path, `Invalid \`${path}\`: expected a number between ${min} and ${max}, got ${value}.`);
  };
}

/** A whole number of at least `min`. */
export function checkInteger(min: number) {
  return (value: unknown, path: string): void => {
    if (typeof value !== 'number' || !Number.isInteger(value)) wrongType(path, 'an integer', value);
    if (value < min) refuse(path, `Invalid \`${path}\`: expected an integer of at least ${min}, got ${value}.`);
  };
}

/** An array; returns it. */
export function requireArray(value: unknown, path: string): unknown[] {
  if (value === undefined) missing(path);
  if (!Array.isArray(value)) wrongType(path, 'an array', value);
  return value;
}

/** An object with a string `type`; returns it. */
export function typedObject(value: unknown, path: string): Json & { type: string } {
  if (!isObject(value)) wrongType(path, 'an object', value);
  if (typeof value.type !== 'string') wrongType(`${path}.type`, 'a string', value.type);
  return value as Json & { type: string };
}
