// The columns of a score table. A study layer sits in its position's column
// (layer 1..4, shared by every network: the study's grid); any other layer gets
// a column of its own, placed by depth between the study positions around it,
// so no two layers ever share a cell and the columns read shallow to deep.
import { describeArchitecture, STUDY_NETWORKS } from '../networks.js';

export type LayerMode = 'single' | 'together';

export interface Column {
  /** 'p1'..'p4' (study positions), 'all' (all layers together), or '<network>:<layer>'. */
  key: string;
  label: string;
  /** A study layer position (or the study's all-layers column). */
  study: boolean;
  /** Orders the columns: study positions are 0..3; other layers fall between (or beyond) them. */
  depth: number;
}

export const ALL_LAYERS: Column = { key: 'all', label: 'all layers', study: true, depth: 0 };

/** Where layer l of a network lies on the study's position scale 0..3. */
export function layerDepth(network: string, layer: number): number {
  const study = STUDY_NETWORKS[network]?.layers;
  const children = describeArchitecture(network)?.children;
  if (!study) return children && children > 1 ? (3 * layer) / (children - 1) : layer;
  const k = study.indexOf(layer);
  if (k >= 0) return k;
  if (layer < study[0]!) return layer / study[0]! - 1;
  const last = study[study.length - 1]!;
  if (layer > last) return study.length - 1 + (layer - last) / Math.max(1, (children ?? layer + 1) - 1 - last);
  const i = study.findIndex((s) => s > layer) - 1;
  return i + (layer - study[i]!) / (study[i + 1]! - study[i]!);
}

/** The column of a run's layers in a table of the given layer mode. */
export function columnOf(network: string, layers: number[], mode: LayerMode): Column {
  if (mode === 'together') return ALL_LAYERS;
  const deepest = Math.max(...layers);
  const k = layers.length === 1 ? (STUDY_NETWORKS[network]?.layers.indexOf(deepest) ?? -1) : -1;
  if (k >= 0) return { key: `p${k + 1}`, label: `layer ${k + 1}`, study: true, depth: k };
  return {
    key: `${network}:${layers.join('+')}`,
    label: `${network} ${layers.join('+')}`,
    study: false,
    depth: layerDepth(network, deepest),
  };
}

/** Distinct columns, shallow to deep (a study column before another layer at the same depth). */
export function sortColumns(columns: Column[]): Column[] {
  const unique = [...new Map(columns.map((c) => [c.key, c])).values()];
  return unique.sort((a, b) => a.depth - b.depth || Number(b.study) - Number(a.study) || a.label.localeCompare(b.label));
}
