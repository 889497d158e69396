// Comparing parameters after one Adam step against a reference implementation.
//
// Adam's first update of an element is lr * g / (|g| + eps): about lr * sign(g) for any gradient well
// above eps (1e-8), so it is blind to the gradient's scale and sharp where the gradient is near zero.
// An element whose gradient is a sum that nearly cancels has a rounding error of about 1e-7 of its
// summands, which an eps of 1e-8 can turn into a change of its step of a few percent of lr. Two correct
// implementations that sum in another order (channels-last against NCHW kernels, another oneDNN kernel
// on another CPU) then differ by up to a few 1e-5 on a handful of elements (measured here: 1 of 64,844
// in the delineation U-Net, 114 of 4.4M in the autoencoder, 424 of 402k in super-resolution, none above
// 6.3e-5) and agree within 1e-6 everywhere else. A wrong step moves most elements by about lr (a wrong
// formula, rate or sign), so the rule is: no element off by lr/10, and at most 0.2% of them off by 1e-6.
import { expect } from 'vitest';

export interface StepDistance {
  /** Largest element difference, and the tensor it is in. */
  max: number;
  worst?: string;
  /** Elements that differ by more than 1e-6, of how many. */
  over: number;
  total: number;
}

export function expectAdamStepClose(d: StepDistance, lr: number): void {
  expect(d.max, `largest difference${d.worst ? ` in ${d.worst}` : ''}`).toBeLessThan(lr / 10);
  expect(d.over / d.total, `${d.over} of ${d.total} elements differ by more than 1e-6`).toBeLessThan(2e-3);
}
