// Hand-written run-time validators for the contract's arguments. Nothing that arrives over
// a transport is trusted: a request whose arguments do not have the declared shape gets a
// 'bad-request' error naming the first thing wrong, and never reaches the hub.
export type Check<T> = (x: unknown, path: string) => T;

export class BadRequest extends Error {}

function fail(path: string, what: string): never {
  throw new BadRequest(`${path || 'arguments'} ${what}`);
}

export const str =
  (max: number, opts: { min?: number } = {}): Check<string> =>
  (x, path) => {
    if (typeof x !== 'string') fail(path, 'must be text');
    if (x.length > max) fail(path, `must be at most ${max} characters`);
    if (x.length < (opts.min ?? 0)) fail(path, opts.min === 1 ? 'must not be empty' : `must be at least ${opts.min} characters`);
    return x;
  };

export const int =
  (min: number, max: number): Check<number> =>
  (x, path) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) fail(path, 'must be a whole number');
    if (x < min || x > max) fail(path, `must be between ${min} and ${max}`);
    return x;
  };

export const bool: Check<boolean> = (x, path) => {
  if (typeof x !== 'boolean') fail(path, 'must be true or false');
  return x;
};

export const oneOf =
  <T extends string>(...values: T[]): Check<T> =>
  (x, path) => {
    if (typeof x !== 'string' || !values.includes(x as T)) fail(path, `must be one of ${values.join(', ')}`);
    return x as T;
  };

export const arrayOf =
  <T>(item: Check<T>, max: number): Check<T[]> =>
  (x, path) => {
    if (!Array.isArray(x)) fail(path, 'must be a list');
    if (x.length > max) fail(path, `must hold at most ${max} items`);
    return x.map((v, i) => item(v, `${path}[${i}]`));
  };

export const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (x, path) =>
    x === undefined ? undefined : check(x, path);

/** Any plain object; the hub's own validator (validateContact) checks a contact's fields. */
export const plainObject: Check<Record<string, unknown>> = (x, path) => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(path, 'must be an object');
  return x as Record<string, unknown>;
};

type Shape = Record<string, Check<unknown>>;
type Out<S extends Shape> = { [K in keyof S as undefined extends ReturnType<S[K]> ? never : K]: ReturnType<S[K]> } & {
  [K in keyof S as undefined extends ReturnType<S[K]> ? K : never]?: Exclude<ReturnType<S[K]>, undefined>;
};

/** An object with exactly these keys (unknown keys are refused: a typo is a bug). */
export const obj =
  <S extends Shape>(shape: S): Check<Out<S>> =>
  (x, path) => {
    const o = plainObject(x ?? {}, path);
    for (const k of Object.keys(o)) if (!(k in shape)) fail(path ? `${path}.${k}` : k, 'is not a known argument');
    const out: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(shape)) {
      const v = check(o[k], path ? `${path}.${k}` : k);
      if (v !== undefined) out[k] = v;
    }
    return out as Out<S>;
  };
