// Unit tests of the browser's opening_hours evaluator (web/js/lib/opening-hours.js), run
// in node: the module is plain ES and uses no DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseOpeningHours, evaluate, localParts, describeOpeningHours, nextOpening,
} from '../../web/js/lib/opening-hours.js';

// 2026-11-30 is a Monday. Times below are UTC; evaluated in UTC unless a zone is given.
const at = (day, hh, mm = 0) => new Date(Date.UTC(2026, 10, 30 + day, hh, mm));
const MON = 0; const FRI = 4; const SAT = 5; const SUN = 6;
const state = (text, date, tz = 'UTC') => evaluate(text, date, tz).state;

test('24/7 is always open', () => {
  assert.deepEqual(evaluate('24/7', at(MON, 3), 'UTC'), { state: 'open', is247: true, until: null });
  assert.equal(parseOpeningHours('Mo-Su 00:00-24:00').is247, true);
});

test('Mo-Fr 09:00-18:00', () => {
  const h = 'Mo-Fr 09:00-18:00';
  assert.equal(state(h, at(MON, 8, 59)), 'closed');
  assert.equal(state(h, at(MON, 9)), 'open');
  assert.equal(evaluate(h, at(FRI, 17, 59), 'UTC').until, '18:00');
  assert.equal(state(h, at(FRI, 18)), 'closed');
  assert.equal(state(h, at(SAT, 12)), 'closed');
});

test('Mo-Sa 08:00-20:00; Su off', () => {
  const h = 'Mo-Sa 08:00-20:00; Su off';
  assert.equal(state(h, at(SAT, 19)), 'open');
  assert.equal(state(h, at(SUN, 12)), 'closed');
});

test('later rules replace earlier ones for the days they name', () => {
  const h = 'Mo-Su 08:00-20:00; Sa,Su 10:00-14:00';
  assert.equal(state(h, at(SAT, 9)), 'closed');
  assert.equal(state(h, at(SAT, 11)), 'open');
  assert.equal(state(h, at(MON, 9)), 'open');
});

test('comma lists of days and of times, wrap-around day ranges', () => {
  assert.equal(state('Mo,We,Fr 10:00-12:00', at(MON + 2, 11)), 'open');
  assert.equal(state('Mo,We,Fr 10:00-12:00', at(MON + 1, 11)), 'closed');
  assert.equal(state('Mo-Fr 09:00-13:00,14:00-18:00', at(MON, 13, 30)), 'closed');
  assert.equal(state('Mo-Fr 09:00-13:00,14:00-18:00', at(MON, 14, 30)), 'open');
  assert.equal(state('Sa-Mo 10:00-12:00', at(SUN, 11)), 'open');
  assert.equal(state('Sa-Mo 10:00-12:00', at(MON + 1, 11)), 'closed');
});

test('spans past midnight spill into the next day', () => {
  const h = 'Fr 20:00-04:00';
  assert.equal(state(h, at(FRI, 23)), 'open');
  assert.equal(state(h, at(SAT, 3)), 'open');
  assert.equal(state(h, at(SAT, 5)), 'closed');
  assert.equal(evaluate(h, at(FRI, 23), 'UTC').until, '04:00');
});

test('public holiday rules are ignored; a rule without days applies every day', () => {
  assert.equal(state('Mo-Fr 09:00-18:00; PH off', at(MON, 10)), 'open');
  assert.equal(state('09:00-17:00', at(SUN, 10)), 'open');
});

test('unknown forms give "unknown", never a guess', () => {
  for (const h of ['', 'sunrise-sunset', 'Jan-Mar Mo-Fr 09:00-18:00', 'Mo-Fr 09:00+', 'by appointment',
    'Mo-Fr 09:00-18:00 || "call"', 'Mo-Fr', 'Xx 09:00-10:00', 'Mo 25:00-26:00', null]) {
    assert.equal(evaluate(h, at(MON, 10), 'UTC').state, 'unknown', String(h));
  }
});

test('evaluated in the facility time zone', () => {
  // 04:30 UTC on Monday is 09:30 in Tashkent (UTC+5) and 10:30 in Bishkek (UTC+6).
  assert.deepEqual(localParts(at(MON, 4, 30), 'Asia/Tashkent'), { weekday: 0, minute: 9 * 60 + 30 });
  assert.equal(state('Mo-Fr 10:00-18:00', at(MON, 4, 30), 'Asia/Tashkent'), 'closed');
  assert.equal(state('Mo-Fr 10:00-18:00', at(MON, 4, 30), 'Asia/Bishkek'), 'open');
});

test('hours are described in the reader\'s language; what is not understood stays as written', () => {
  const ru = { locale: 'ru', off: 'выходной', holidays: 'праздники' };
  // Weekday names from Intl itself, so the expectation does not restate the code's table.
  const day = (locale, i) => new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));
  assert.equal(describeOpeningHours('Mo-Sa 08:00-20:00; Su off', ru), `${day('ru', 0)}–${day('ru', 5)} 08:00–20:00; ${day('ru', 6)} выходной`);
  assert.equal(describeOpeningHours('Mo-Sa 08:00-20:00; Su off', ru), 'пн–сб 08:00–20:00; вс выходной');
  assert.equal(describeOpeningHours('Mo,We 09:00-13:00,14:00-18:00; PH off', ru), 'пн, ср 09:00–13:00, 14:00–18:00; праздники выходной');
  assert.equal(describeOpeningHours('09:00-18:00', ru), '09:00–18:00');
  assert.equal(describeOpeningHours('24/7', ru), null);
  assert.equal(describeOpeningHours('Mo-Fr 08:00-12:00 || "by appointment"', ru), null);
  assert.equal(describeOpeningHours('sunrise-sunset', ru), null);
});

test('the next opening of a closed service: later today, tomorrow, after a weekend', () => {
  const h = 'Mo-Fr 09:00-18:00';
  assert.deepEqual(nextOpening(h, at(MON, 7), 'UTC'), { inDays: 0, weekday: MON, time: '09:00' });
  assert.deepEqual(nextOpening(h, at(MON, 18)), nextOpening(h, at(MON, 18), undefined));
  assert.deepEqual(nextOpening(h, at(MON, 18), 'UTC'), { inDays: 1, weekday: MON + 1, time: '09:00' });
  assert.deepEqual(nextOpening(h, at(SAT, 10), 'UTC'), { inDays: 2, weekday: MON, time: '09:00' });
  assert.deepEqual(nextOpening(h, at(FRI, 20), 'UTC'), { inDays: 3, weekday: MON, time: '09:00' });
  assert.equal(nextOpening(h, at(MON, 10), 'UTC'), null, 'open now');
  assert.equal(nextOpening('24/7', at(MON, 10), 'UTC'), null);
  assert.equal(nextOpening('Mo-Fr off', at(MON, 10), 'UTC'), null, 'never opens');
  assert.equal(nextOpening('sunrise-sunset', at(MON, 10), 'UTC'), null, 'not read, not guessed');
  // Split days and spans past midnight.
  assert.deepEqual(nextOpening('Mo-Fr 09:00-13:00,14:00-18:00', at(MON, 13, 30), 'UTC'), { inDays: 0, weekday: MON, time: '14:00' });
  assert.deepEqual(nextOpening('Sa 20:00-02:00', at(SUN, 3), 'UTC'), { inDays: 6, weekday: SAT, time: '20:00' });
  // In the facility's zone: Monday 02:00 UTC is Monday 07:00 in Tashkent.
  assert.deepEqual(nextOpening(h, at(MON, 2), 'Asia/Tashkent'), { inDays: 0, weekday: MON, time: '09:00' });
  // Independent check: stepping minute by minute to the first open minute.
  for (const [text, from] of [['Mo-Sa 08:00-20:00', at(SAT, 21)], ['Tu,Th 10:00-12:00', at(MON, 11)], ['We 00:00-01:00', at(FRI, 5)]]) {
    const next = nextOpening(text, from, 'UTC');
    let t = from.getTime();
    while (evaluate(text, new Date(t), 'UTC').state !== 'open') t += 60000;
    const d = new Date(t);
    assert.equal(next.time, `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`, text);
    assert.equal(next.weekday, (d.getUTCDay() + 6) % 7, text);
    assert.equal(next.inDays, Math.round((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate())) / 86400000), text);
  }
});
