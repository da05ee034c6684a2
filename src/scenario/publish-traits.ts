// Every trait of a publish mode, in one table: its spelling and parameter, whether the broker answers
// it, how many messages it leaves unconfirmed at most, its order and colour in the report, and what it
// does in a line. The PublishMode type, the parser and label (scenario/modes.ts), the CLI help, the
// report's palette and ordering all read it: adding a mode is a row here and its driver in
// run/publish-modes.ts. Pure data; it imports nothing, so every layer may read it.

/** The one number a mode takes (batch:N), if any: where it goes in PublishMode, and its default. */
interface PublishParameter {
  /** The PublishMode field that holds it. */
  readonly field: string;
  /** Its letter in the spelling: batch:N. */
  readonly letter: string;
  /** Its name in an error message. */
  readonly what: string;
  readonly default: number;
}

export interface PublishTraits {
  readonly kind: string;
  readonly parameter: PublishParameter | null;
  /**
   * Whether the broker answers each message, by a publisher confirm or a tx.commit-ok: what feeds the
   * confirm tracker, and what makes `confirmed`, `unknown` and publish latency exist.
   */
  readonly answered: boolean;
  /** Messages unconfirmed at once at most (the confirm tracker's size): a number, or the parameter's value. */
  readonly outstanding: number | 'parameter';
  /** Okabe-Ito colours: distinguishable with the common colour-vision deficiencies (report/palette.ts). */
  readonly color: string;
  /** What the mode does, for the CLI help. */
  readonly description: string;
}

/** In the order modes appear in tables and charts (the table's order is the sort order). */
export const PUBLISH_TRAITS = [
  { kind: 'none', parameter: null, answered: false, outstanding: 0, color: '#0072B2', description: 'no confirms' },
  { kind: 'single', parameter: null, answered: true, outstanding: 1, color: '#D55E00', description: 'await each confirm' },
  {
    kind: 'batch',
    parameter: { field: 'size', letter: 'N', what: 'batch size', default: 100 },
    answered: true,
    outstanding: 'parameter',
    color: '#009E73',
    description: 'publish N, await all their confirms',
  },
  {
    kind: 'async',
    parameter: { field: 'window', letter: 'W', what: 'window', default: 1000 },
    answered: true,
    outstanding: 'parameter',
    color: '#E69F00',
    description: 'at most W unconfirmed',
  },
  {
    kind: 'tx',
    parameter: { field: 'size', letter: 'N', what: 'commit size', default: 1 },
    answered: true,
    outstanding: 'parameter',
    color: '#CC79A7',
    description: 'tx.select, tx.commit every N',
  },
] as const satisfies readonly PublishTraits[];

type TraitRow = (typeof PUBLISH_TRAITS)[number];
export type PublishKind = TraitRow['kind'];

/** The fixed order publish modes appear in, in tables and charts. */
export const PUBLISH_KINDS: readonly PublishKind[] = PUBLISH_TRAITS.map((traits) => traits.kind);

/** A row of the table as a mode: { kind: 'none' }, { kind: 'batch'; size: number }, ... */
type ModeOf<Row> = Row extends { kind: infer Kind; parameter: { field: infer Field extends string } }
  ? { [Key in 'kind' | Field]: Key extends 'kind' ? Kind : number }
  : Row extends { kind: infer Kind }
    ? { kind: Kind }
    : never;

/** A publish mode with its parameter: `batch` publishes `size` messages, then waits for all their confirms, etc. */
export type PublishMode = ModeOf<TraitRow>;

const BY_KIND = new Map<string, PublishTraits>(PUBLISH_TRAITS.map((traits) => [traits.kind, traits]));

/** The traits of a kind; undefined for a word that is no publish mode. */
export function publishTraitsOf(kind: string): PublishTraits | undefined {
  return BY_KIND.get(kind);
}

/** Whether the broker answers each message of this kind (confirms or tx.commit-ok; false only for `none`). */
export function publishAnswered(kind: PublishKind): boolean {
  return BY_KIND.get(kind)!.answered;
}

/** The mode's parameter (batch size, window, commit size); null for a mode without one. */
export function publishParameter(mode: PublishMode): number | null {
  const parameter = BY_KIND.get(mode.kind)!.parameter;
  return parameter ? (mode as unknown as Record<string, number>)[parameter.field] : null;
}

/** A kind as it is spelled in a list of the modes: none, batch:N. */
export function kindSpelling(traits: PublishTraits): string {
  return traits.parameter ? `${traits.kind}:${traits.parameter.letter}` : traits.kind;
}

/** Every mode with what it does, for the CLI help: none (no confirms), single (await each confirm), ... */
export function publishModesHelp(): string {
  return PUBLISH_TRAITS.map((traits) => `${kindSpelling(traits)} (${traits.description})`).join(', ');
}
