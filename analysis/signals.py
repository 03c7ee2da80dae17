"""Frustration signals: their thresholds and the ClickHouse expressions that find them.

Every signal is defined in docs/signals.md; this module is the one place its thresholds live.
Signals are computed in ClickHouse at query time, for many sessions at once, so that the session
list can filter, sort and paginate by them (replay/sessions.py composes the query). Each
expression yields an array of occurrences (tuples); a count is the array's length, and the
session detail reads the tuples themselves.

Two levels:

- per page view (`PAGE_VIEW`): over the view's clicks `c` (tuples `(t, x, y, rage, dead, selector)`
  sorted by time, `t` in epoch milliseconds), its scroll samples `s` (`(t, depth)` sorted) and
  its JS errors `e` (`(t, message)`, console messages left out), plus `vh`, the viewport height
  the batch sent (0 when unknown);
- per session (`SESSION`): over `visits`, the session's page views in time order as
  `(t, path, pageview_id)` with consecutive views of the same path merged into the first
  (a reload is not a new visit to a page).
"""

from __future__ import annotations

# rage_click: as the snippet's detector (sdk-js/src/clicks.js), on page coordinates.
RAGE_CLICKS = 3  # clicks in a burst
RAGE_GAP_MS = 1000  # each click less than this after the previous one
RAGE_RADIUS_PX = 30  # within this distance of the burst's first click
# error_click: a JS error (not a console message) at most this long after the click, same page view.
ERROR_CLICK_MS = 1000
# quick_back: A -> B -> A, B shown less than this.
QUICK_BACK_MS = 10_000
# excessive_scroll: the deepest point seen advances by SCROLL_SCREENS viewport heights within
# SCROLL_WINDOW_MS, over at least SCROLL_SAMPLES samples.
SCROLL_SCREENS = 5
SCROLL_WINDOW_MS = 10_000
SCROLL_SAMPLES = 5
# navigation_loop: a cycle of 2..LOOP_MAX_PAGES pages passed through twice in a row.
LOOP_MIN_PAGES = 2
LOOP_MAX_PAGES = 5

SIGNALS = ("rage_click", "dead_click", "error_click", "quick_back", "excessive_scroll", "navigation_loop")

# The fields of each occurrence tuple, in order (the session detail turns them into objects).
FIELDS = {
    "rage_click": ("t", "selector", "x", "y", "clicks"),
    "dead_click": ("t", "selector", "x", "y"),
    "error_click": ("t", "selector", "x", "y", "message"),
    "excessive_scroll": ("t", "seconds", "screens"),
    "quick_back": ("t", "path", "pageview_id", "back_to", "seconds"),
    "navigation_loop": ("t", "end_t", "path", "pages", "passes"),
}

# Clicks grouped into bursts, exactly as the snippet groups them: a click joins the current burst
# when it comes less than RAGE_GAP_MS after the burst's last click and lies within RAGE_RADIUS_PX of
# its first; otherwise it starts a new burst. A burst is (t0, x0, y0, t_last, clicks, flagged, selector).
_BURSTS = f"""arrayFold(
    (acc, k) -> if(
        length(acc) > 0 AND k.1 - acc[-1].4 < {RAGE_GAP_MS}
            AND (k.2 - acc[-1].2) * (k.2 - acc[-1].2) + (k.3 - acc[-1].3) * (k.3 - acc[-1].3)
                <= {RAGE_RADIUS_PX * RAGE_RADIUS_PX},
        arrayPushBack(arrayPopBack(acc),
                      (acc[-1].1, acc[-1].2, acc[-1].3, k.1, acc[-1].5 + 1, greatest(acc[-1].6, k.4), acc[-1].7)),
        arrayPushBack(acc, (k.1, toInt64(k.2), toInt64(k.3), k.1, toUInt64(1), k.4, k.6))),
    c, CAST([], 'Array(Tuple(Int64, Int64, Int64, Int64, UInt64, UInt8, String))'))"""

# Of the scroll samples within SCROLL_WINDOW_MS before sample j, the first one.
_WINDOW_START = f"arrayFirstIndex(u -> u.1 >= s[{{j}}].1 - {SCROLL_WINDOW_MS}, s)"

PAGE_VIEW = {
    # Bursts of RAGE_CLICKS or more in which the snippet flagged a click as rage: the flag carries
    # what only the browser saw (the target was a form control, a triple click selected text).
    "rage_click": f"""arrayMap(b -> (b.1, b.7, b.2, b.3, b.5),
        arrayFilter(b -> b.5 >= {RAGE_CLICKS} AND b.6 = 1, {_BURSTS}))""",
    "dead_click": "arrayMap(k -> (k.1, k.6, k.2, k.3), arrayFilter(k -> k.5 = 1, c))",
    "error_click": f"""arrayMap(
        k -> (k.1, k.6, k.2, k.3, arrayFirst(u -> u.1 >= k.1 AND u.1 - k.1 <= {ERROR_CLICK_MS}, e).2),
        arrayFilter(k -> arrayExists(u -> u.1 >= k.1 AND u.1 - k.1 <= {ERROR_CLICK_MS}, e), c))""",
    # At most one per page view: the first moment the condition holds, from the window's start.
    "excessive_scroll": """if(scroll_hit > 0,
        [(s[scroll_from].1, (s[scroll_hit].1 - s[scroll_from].1) / 1000,
          (s[scroll_hit].2 - s[scroll_from].2) / scroll_screen)],
        [])""",
}

# Helpers the page view expressions above refer to (ClickHouse aliases, defined once per page view).
PAGE_VIEW_HELPERS = f"""
    if(vh > 0, toInt64(vh), toInt64(s[1].2)) AS scroll_screen,
    arrayFirst(j -> scroll_screen > 0
                    AND s[j].2 - s[{_WINDOW_START.format(j="j")}].2 >= {SCROLL_SCREENS} * scroll_screen
                    AND j + 1 - {_WINDOW_START.format(j="j")} >= {SCROLL_SAMPLES},
               arrayEnumerate(s)) AS scroll_hit,
    {_WINDOW_START.format(j="scroll_hit")} AS scroll_from"""

# For each position j of `visits`, the length k of the shortest cycle that ends at j and repeats
# the k visits just before it (0 when none): visits j-2k+1 .. j-k equal visits j-k+1 .. j.
_LOOP_LENGTHS = f"""arrayMap(
    j -> arrayFirst(k -> arraySlice(visit_paths, j + 1 - 2 * k, k) = arraySlice(visit_paths, j + 1 - k, k),
                    range({LOOP_MIN_PAGES}, least(intDiv(j, 2), {LOOP_MAX_PAGES}) + 1)),
    range(1, length(visits) + 1))"""

# Loops as (first visit, last visit, cycle length): a loop starts when a cycle's second pass
# completes, after the end of the previous loop (passes are not shared), and goes on while the
# next visit continues the cycle.
_LOOPS = f"""arrayFold(
    (acc, j, k) -> multiIf(
        acc.3 > 0 AND acc.2 + 1 = j AND visit_paths[j] = visit_paths[j - acc.3],
            (arrayPushBack(arrayPopBack(acc.1), (acc.1[-1].1, toUInt64(j), acc.3)), toUInt64(j), acc.3),
        k > 0 AND j + 1 > acc.2 + 2 * k,
            (arrayPushBack(acc.1, (toUInt64(j + 1 - 2 * k), toUInt64(j), toUInt64(k))), toUInt64(j), toUInt64(k)),
        acc),
    range(1, length(visits) + 1), {_LOOP_LENGTHS},
    (CAST([], 'Array(Tuple(UInt64, UInt64, UInt64))'), toUInt64(0), toUInt64(0))).1"""

SESSION = {
    "quick_back": f"""arrayMap(
        i -> (visits[i].1, visits[i].2, visits[i].3, visits[i - 1].2, (visits[i + 1].1 - visits[i].1) / 1000),
        arrayFilter(i -> visits[i - 1].2 = visits[i + 1].2 AND visits[i + 1].1 - visits[i].1 < {QUICK_BACK_MS},
                    range(2, length(visits))))""",
    "navigation_loop": f"""arrayMap(
        l -> (visits[l.1].1, visits[l.2].1, visits[l.1].2, arraySlice(visit_paths, l.1, l.3),
              intDiv(l.2 - l.1 + 1, l.3)),
        {_LOOPS})""",
}

# Helpers of the session expressions: `visits` from `pages_t` (every page view, in time order).
SESSION_HELPERS = """
    arrayFilter((p, i) -> i = 1 OR p.2 != pages_t[i - 1].2, pages_t, arrayEnumerate(pages_t)) AS visits,
    arrayMap(v -> v.2, visits) AS visit_paths"""
