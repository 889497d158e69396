// Network families, for the study's "VGG networks without batch normalisation
// do best": each family's mean rank and best cell, and vgg16 against vgg16_bn
// (the same network and ReLUs, with and without BN) table by table.
import type { MeanRank, ScoreTable } from './analysis.js';
import { welchGreater } from './significance.js';

/** Families in the order the report lists them when ranks tie; the first matching pattern names a network's family. */
export const FAMILIES: { family: string; pattern: RegExp }[] = [
  { family: 'VGG without BN', pattern: /^vgg\d+$/ },
  { family: 'VGG with BN', pattern: /^vgg\d+_bn$/ },
  { family: 'ResNet/ResNeXt', pattern: /^(resnet|wide_resnet|resnext)\d/ },
  { family: 'DenseNet', pattern: /^densenet/ },
  { family: 'EfficientNet', pattern: /^efficientnet/ },
  { family: 'Inception/GoogLeNet', pattern: /^(inception_v3|googlenet)$/ },
  { family: 'AlexNet', pattern: /^alexnet$/ },
  { family: 'SqueezeNet', pattern: /^squeezenet/ },
  { family: 'MobileNet', pattern: /^mobilenet/ },
  { family: 'ShuffleNet', pattern: /^shufflenet/ },
  { family: 'MnasNet', pattern: /^mnasnet/ },
  { family: 'RegNet', pattern: /^regnet/ },
];

export const familyOf = (network: string): string => FAMILIES.find((f) => f.pattern.test(network))?.family ?? 'other';

export interface BestCell {
  configuration: string;
  benchmark: string;
  variant: string;
  network: string;
  column: string;
  layers: number[];
  mean: number;
}

export interface FamilySummary {
  family: string;
  /** Its networks that have a rank, by mean rank. */
  networks: string[];
  /** Mean of its networks' mean ranks across benchmarks. */
  meanRank: number;
  /** Per table, the family's best (network, layer) cell. */
  best: BestCell[];
}

/** Families with at least one ranked network, best (lowest mean rank) first. */
export function familiesOf(meanRanks: MeanRank[], tables: ScoreTable[]): FamilySummary[] {
  const order = FAMILIES.map((f) => f.family).concat('other');
  return order
    .flatMap((family): FamilySummary[] => {
      const members = meanRanks.filter((m) => m.family === family);
      if (!members.length) return [];
      const best = tables.flatMap((t): BestCell[] => {
        const sign = t.higherIsBetter ? 1 : -1;
        const own = t.rows.filter((r) => r.family === family && r.best);
        if (!own.length) return [];
        const top = own.reduce((a, b) => (sign * b.best!.mean > sign * a.best!.mean ? b : a));
        return [
          {
            configuration: t.configuration,
            benchmark: t.benchmark,
            variant: t.variant,
            network: top.network,
            column: t.columns[top.best!.column]!.label,
            layers: top.best!.layers,
            mean: top.best!.mean,
          },
        ];
      });
      return [
        { family, networks: members.map((m) => m.network), meanRank: members.reduce((a, m) => a + m.meanRank, 0) / members.length, best },
      ];
    })
    .sort((a, b) => a.meanRank - b.meanRank || order.indexOf(a.family) - order.indexOf(b.family));
}

export interface VggBnSide {
  column: string;
  layers: number[];
  mean: number;
  std: number;
  n: number;
}

export interface VggBnComparison {
  configuration: string;
  benchmark: string;
  variant: string;
  metric: string;
  higherIsBetter: boolean;
  vgg16: VggBnSide;
  vgg16_bn: VggBnSide;
  /** Best layer against best layer, in the metric's units; positive: vgg16 (without BN) is better. */
  difference: number;
  /** One-sided Welch p that vgg16's best cell is better than vgg16_bn's; null without repetitions. */
  p: number | null;
  /** At each study column measured for both (the same ReLUs): the difference, positive when vgg16 is better. */
  perPosition: { column: string; difference: number }[];
}

/** vgg16 against vgg16_bn in every table that has both. */
export function vggBnOf(tables: ScoreTable[]): VggBnComparison[] {
  return tables.flatMap((t): VggBnComparison[] => {
    const plain = t.rows.find((r) => r.network === 'vgg16' && r.best),
      bn = t.rows.find((r) => r.network === 'vgg16_bn' && r.best);
    if (!plain || !bn) return [];
    const sign = t.higherIsBetter ? 1 : -1;
    const side = (r: typeof plain): VggBnSide => {
      const c = r.cells[r.best!.column]!;
      return { column: t.columns[r.best!.column]!.label, layers: c.layers, mean: c.mean, std: c.std, n: c.n };
    };
    const a = side(plain),
      b = side(bn);
    const welch = welchGreater({ ...a, mean: sign * a.mean }, { ...b, mean: sign * b.mean });
    const perPosition = t.columns.flatMap((col, j) => {
      const x = plain.cells[j],
        y = bn.cells[j];
      return col.study && x && y ? [{ column: col.label, difference: sign * (x.mean - y.mean) }] : [];
    });
    return [
      {
        configuration: t.configuration,
        benchmark: t.benchmark,
        variant: t.variant,
        metric: t.metric,
        higherIsBetter: t.higherIsBetter,
        vgg16: a,
        vgg16_bn: b,
        difference: sign * (a.mean - b.mean),
        p: welch?.p ?? null,
        perPosition,
      },
    ];
  });
}
