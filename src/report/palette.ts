// The visual vocabulary shared by every chart: one colour per publish mode kind (its trait,
// scenario/publish-traits.ts), one shape / dash / opacity per durability. Fixed domains and ranges, so a mode looks the same in every chart of every
// run, whichever modes the run happens to contain.

import { PUBLISH_TRAITS } from '../scenario/publish-traits.js';
import { DURABILITIES, PUBLISH_KINDS, type PublishKind } from '../scenario/types.js';

/** Each kind's colour (Okabe-Ito: distinguishable with the common colour-vision deficiencies). */
export const MODE_COLORS = Object.fromEntries(PUBLISH_TRAITS.map((traits) => [traits.kind, traits.color])) as Readonly<Record<PublishKind, string>>;

/** The colour scale every chart uses for the publish mode kind. */
export const MODE_COLOR_SCALE = {
  domain: [...PUBLISH_KINDS] as string[],
  range: PUBLISH_KINDS.map((kind) => MODE_COLORS[kind]),
};

/**
 * Colour encoding for a field holding a publish kind. The scale domain stays fixed (so colours never
 * shift), while the legend lists only the kinds the chart shows: a legend entry without a mark confuses.
 */
export function modeColorEncoding(field: string, kindsShown: readonly string[]) {
  const shown = PUBLISH_KINDS.filter((kind) => kindsShown.includes(kind));
  return {
    field,
    type: 'nominal' as const,
    title: 'publish mode',
    scale: { domain: [...MODE_COLOR_SCALE.domain], range: [...MODE_COLOR_SCALE.range] },
    legend: { values: shown },
  };
}

const DURABILITY_DOMAIN = [...DURABILITIES] as string[];

/** With the durabilities a chart shows, its legend lists only those (the scale stays fixed). */
function durabilityLegend(shown: readonly string[] | undefined) {
  return shown ? { legend: { values: DURABILITY_DOMAIN.filter((durability) => shown.includes(durability)) } } : {};
}

/** A durability encoding onto one visual channel: the scale maps transient, persistent to range. */
function durabilityEncoding<Value>(field: string, shown: readonly string[] | undefined, range: readonly [Value, Value]) {
  return {
    ...durabilityLegend(shown),
    field,
    type: 'nominal' as const,
    title: 'durability',
    sort: DURABILITY_DOMAIN,
    scale: { domain: DURABILITY_DOMAIN, range: [...range] },
  };
}

/** Bars: persistent solid, transient pale, so the pair reads "same mode, other durability". */
export function durabilityOpacityEncoding(field: string, shown?: readonly string[]) {
  return durabilityEncoding(field, shown, [0.45, 1]);
}

/** Lines: transient dashed, persistent solid. */
export function durabilityDashEncoding(field: string, shown?: readonly string[]) {
  return durabilityEncoding(field, shown, [[5, 3], [1, 0]]);
}

/** Points: transient triangle, persistent circle. */
export function durabilityShapeEncoding(field: string, shown?: readonly string[]) {
  return durabilityEncoding(field, shown, ['triangle-up', 'circle']);
}
