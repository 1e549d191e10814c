/**
 * The page state kept in the URL's query (provider, lambda, selected method, raw / normalised
 * uncertainty), so a link reproduces the view. Pure: parse and format only.
 */
import { METHODS, type Method } from '@sngp/core';
import type { Provider } from './inference.js';

/** How the uncertainty plot is scaled: divided by its grid maximum (the tutorial's) or raw p(1 - p). */
export type UncertaintyScale = 'normalized' | 'raw';

/** What the URL can carry; a missing field means "the page's default". */
export interface PageState {
  provider?: Provider;
  /** SNGP mean-field factor. */
  lambda?: number;
  /** The method the user last looked at (its panel is scrolled to on load). */
  method?: Method;
  uncertainty?: UncertaintyScale;
}

/**
 * Read the state from a query string; unknown or malformed values are ignored (a stale link
 * still opens the page).
 * @param search - `location.search`, with or without the leading "?".
 * @returns the fields present and valid.
 */
export function parseState(search: string): PageState {
  const q = new URLSearchParams(search);
  const out: PageState = {};
  const provider = q.get('provider');
  if (provider === 'webgpu' || provider === 'wasm') out.provider = provider;
  const lambda = q.get('lambda');
  if (lambda !== null && lambda.trim() !== '' && Number.isFinite(Number(lambda)) && Number(lambda) >= 0) out.lambda = Number(lambda);
  const method = q.get('method');
  if (method && (METHODS as readonly string[]).includes(method)) out.method = method as Method;
  const unc = q.get('uncertainty');
  if (unc === 'raw' || unc === 'normalized') out.uncertainty = unc;
  return out;
}

/**
 * Format the state as a query string ("" when empty); lambda keeps 4 decimals.
 * @param state - the fields to write.
 * @returns "?provider=...&lambda=..." or "".
 */
export function formatState(state: PageState): string {
  const q = new URLSearchParams();
  if (state.provider) q.set('provider', state.provider);
  if (state.lambda !== undefined) q.set('lambda', String(Math.round(state.lambda * 1e4) / 1e4));
  if (state.method) q.set('method', state.method);
  if (state.uncertainty) q.set('uncertainty', state.uncertainty);
  const s = q.toString();
  return s ? `?${s}` : '';
}
