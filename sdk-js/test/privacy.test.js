import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowed } from '../src/privacy.js';

const NONE = {};
const DNT = { doNotTrack: '1' };
const GPC = { globalPrivacyControl: true };
const BOTH = { doNotTrack: '1', globalPrivacyControl: true };

describe('allowed', () => {
  test('an explicit consent wins over every signal and setting', () => {
    for (const nav of [NONE, DNT, GPC, BOTH]) {
      for (const respectDnt of [true, false]) {
        assert.equal(allowed(true, nav, respectDnt), true);
        assert.equal(allowed(false, nav, respectDnt), false);
      }
    }
  });

  test('no choice, Do-Not-Track on: no when respected, yes when the site opts out', () => {
    assert.equal(allowed(null, DNT, true), false);
    assert.equal(allowed(null, DNT, false), true);
  });

  test('no choice, Global Privacy Control on: no when respected, yes when the site opts out', () => {
    assert.equal(allowed(null, GPC, true), false);
    assert.equal(allowed(null, GPC, false), true);
    assert.equal(allowed(null, BOTH, true), false);
    assert.equal(allowed(null, BOTH, false), true);
  });

  test('no choice and no signal: yes', () => {
    assert.equal(allowed(null, NONE, true), true);
    assert.equal(allowed(null, NONE, false), true);
  });

  test('signals that say nothing: DNT "0", "unspecified", null; GPC false', () => {
    for (const nav of [{ doNotTrack: '0' }, { doNotTrack: 'unspecified' }, { doNotTrack: null }, { globalPrivacyControl: false }]) {
      assert.equal(allowed(null, nav, true), true, JSON.stringify(nav));
    }
  });

  test('an undefined choice (nothing stored) counts as no choice', () => {
    assert.equal(allowed(undefined, DNT, true), false);
    assert.equal(allowed(undefined, NONE, true), true);
  });
});
