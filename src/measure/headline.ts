// Which figure stands for a cell's throughput (docs/architecture.md#figures-clocks-and-windows): consumed,
// else confirmed (no consumers), else sent (no confirms either): for `none`, what was sent is not what
// the broker took. One rule for a repetition's rates, their spreads over repetitions and the windows
// they are measured over, so the charts, the console, the guarantees table and steadiness agree.

export type HeadlineFigure = 'consumed' | 'confirmed' | 'sent';

/** The first of consumed, confirmed, sent that exists (is not null), and which one it is. */
export function headlineOf<T>(figures: { consumed: T | null; confirmed: T | null; sent: T }): { figure: HeadlineFigure; value: T } {
  if (figures.consumed !== null) return { figure: 'consumed', value: figures.consumed };
  if (figures.confirmed !== null) return { figure: 'confirmed', value: figures.confirmed };
  return { figure: 'sent', value: figures.sent };
}

/** headlineOf the rates of a repetition, of a before-fault window, or of an aggregate (spreads). */
export function headlineOfRates<T>(rates: { consumedPerS: T | null; confirmedPerS: T | null; sentPerS: T }): { figure: HeadlineFigure; value: T } {
  return headlineOf({ consumed: rates.consumedPerS, confirmed: rates.confirmedPerS, sent: rates.sentPerS });
}
