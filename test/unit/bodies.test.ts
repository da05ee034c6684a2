// BodySource hands out bodies as the client's bodyAfterPublish allows: one reused body, a ring of the
// answered bound, or a fresh copy each time; every body starts as the template.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodySource } from '../../src/run/bodies.js';
import { bodyTemplate } from '../../src/measure/header.js';

test("'copied': the same body every time, with the template's padding", () => {
  const template = bodyTemplate(64);
  const s = new BodySource(template, 'copied', 1000);
  const a = s.take();
  assert.ok(s.reusing);
  assert.equal(s.take(), a);
  assert.deepEqual(a, template);
  assert.notEqual(a.buffer, template.buffer);
});

test("'until-answered': a ring of the bound, each body given out again only after `bound` others", () => {
  const s = new BodySource(bodyTemplate(32), 'until-answered', 3);
  const taken = Array.from({ length: 7 }, () => s.take());
  assert.equal(new Set(taken.slice(0, 3)).size, 3);
  for (let k = 3; k < 7; k++) assert.equal(taken[k], taken[k - 3]);
});

test("'until-answered', nothing answered, held bytes bounded: a ring of one more than the bodies that fit", () => {
  const s = new BodySource(bodyTemplate(100), 'until-answered', 0, 1000);
  const taken = Array.from({ length: 23 }, () => s.take());
  assert.equal(new Set(taken).size, 11);
  assert.equal(taken[11], taken[0]);
  assert.equal(new BodySource(bodyTemplate(100), 'until-answered', 0, 950).reusing, true);
});

test("'until-answered' with nothing answered and no bound on held bytes: a fresh copy of the template each time", () => {
  const template = bodyTemplate(32);
  const s = new BodySource(template, 'until-answered', 0);
  assert.equal(s.reusing, false);
  const a = s.take();
  a[0] = 1;
  const b = s.take();
  assert.notEqual(a, b);
  assert.deepEqual(b, template);
});
