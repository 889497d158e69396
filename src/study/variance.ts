// Layer against architecture: how much of a table's score variance the network
// explains and how much the layer position does, by a two-way analysis of
// variance without interaction on the network × study-position grid of cell
// means. Sums of squares need a complete grid, so the split uses the largest
// complete sub-grid (most cells; then more positions) and names what it left out.
import { twoWayAnova } from './significance.js';

export const VARIANCE_METHOD =
  'two-way ANOVA sums of squares without interaction, on the network × layer-position grid of cell means ' +
  '(largest complete sub-grid of study positions); shares are SS_effect / SS_total (eta squared), ' +
  'F tests against the residual (network × position interaction) mean square';

export interface VarianceSplit {
  networks: string[];
  positions: string[];
  /** Shares of the total sum of squares. */
  network: number;
  layer: number;
  residual: number;
  pNetwork: number;
  pLayer: number;
  /** Networks with a study cell that the complete grid could not hold. */
  leftOut: string[];
}

/**
 * The split for one table: `cells[r][c]` is network r's mean at study position
 * c, or null. Returns the reason instead when no complete grid of at least
 * 2 networks × 2 positions exists, or the grid does not vary.
 */
export function varianceSplit(networks: string[], positions: string[], cells: (number | null)[][]): VarianceSplit | { reason: string } {
  let best: { rows: number[]; cols: number[] } | null = null;
  for (let mask = 1; mask < 1 << positions.length; mask++) {
    const cols = positions.map((_, j) => j).filter((j) => mask & (1 << j));
    if (cols.length < 2) continue;
    const rows = networks.map((_, i) => i).filter((i) => cols.every((j) => cells[i]![j] !== null));
    if (rows.length < 2) continue;
    const size = rows.length * cols.length,
      bestSize = best ? best.rows.length * best.cols.length : 0;
    if (size > bestSize || (size === bestSize && cols.length > best!.cols.length)) best = { rows, cols };
  }
  if (!best) return { reason: 'needs at least 2 networks measured at the same 2 or more study positions' };
  const anova = twoWayAnova(best.rows.map((i) => best.cols.map((j) => cells[i]![j]!)));
  if (!anova.share) return { reason: 'the grid does not vary' };
  const kept = new Set(best.rows);
  return {
    networks: best.rows.map((i) => networks[i]!),
    positions: best.cols.map((j) => positions[j]!),
    network: anova.share.rows,
    layer: anova.share.columns,
    residual: anova.share.residual,
    pNetwork: anova.p.rows,
    pLayer: anova.p.columns,
    leftOut: networks.filter((_, i) => !kept.has(i) && cells[i]!.some((v) => v !== null)),
  };
}
