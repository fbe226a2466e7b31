/** What the `sub(spec, action, view)` registrations share: commander's action arguments, named. */

/** commander calls an action with the positional arguments, then the flags, then the command. */
export function actionArgs<F>(args: unknown[]): { positional: string[]; flags: F } {
  return { positional: args.slice(0, -2) as string[], flags: args.at(-2) as F };
}
