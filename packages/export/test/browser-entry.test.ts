/**
 * The browser entry (`@sngp/export/browser`): the same export as the Node entry, and a bundle
 * that pulls in neither onnxruntime nor any Node module (verification is the Node entry's).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as browser from '../src/browser.js';
import { exportModel } from '../src/index.js';
import { randomCheckpoint } from './fixtures.js';

describe('@sngp/export/browser', () => {
  it('exports the same bytes as the Node entry, and has no verifyModel', () => {
    const ckpt = randomCheckpoint('sngp');
    const a = browser.exportModel(ckpt, { posterior: 'full' });
    const b = exportModel(ckpt, { posterior: 'full' });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.report.posterior?.kind).toBe('full');
    expect('verifyModel' in browser).toBe(false);
    expect(browser.verificationPoints(ckpt.config).n).toBeGreaterThan(0);
  });

  it('its built bundle imports no Node module and no runtime, directly or through its chunks', () => {
    const dist = join(import.meta.dirname, '..', 'dist');
    const seen = new Set<string>();
    const imports = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(join(dist, file), 'utf8');
      for (const m of src.matchAll(/(?:from\s*|import\s*\(?\s*)["']([^"']+)["']/g)) {
        if (m[1].startsWith('./')) visit(m[1].slice(2));
        else imports.add(m[1]);
      }
    };
    visit('browser.js');
    expect(seen.size).toBeGreaterThan(1);
    expect([...imports].sort()).toEqual(['@sngp/core', 'protobufjs']);
  });
});
