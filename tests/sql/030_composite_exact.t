#!/usr/bin/env python3
"""The composite against exact fractions (metrics.md; issue 13, item 8).

Random count sets and weights (zero denominators, so NULL figures; integer,
decimal and long decimal weights; zero weights), constructed exact halves
(where rounding before the end turns .xx5 into .xx4), and whole rankings,
each compared with Python's fractions.Fraction: the composite is the
weighted mean of the figures with a positive denominator, as a percentage,
rounded half up to 2 decimals once at the end; composite ranks are
competition ranks on it. Checked through report.composite,
report.rank_figures (townships, a prefecture's counties, stored rankings),
and, with real submissions, report.ranking and report.county_summary.

One scratch database (migrations applied by bizenv migrate), psql for
every query. BIZENV_PROP_SEED picks another seed; the default is fixed so
a failure reproduces.
"""
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIZENV = os.environ.get("BIZENV_BIN", os.path.join(TOP, "build", "release", "bizenv"))
SEED = int(os.environ.get("BIZENV_PROP_SEED", "2026113"))

N_RANDOM = 4000  # random count sets and weights
N_HALVES = 600  # constructed cases whose exact composite ends in a half hundredth
N_RANKINGS = 150  # whole rankings of 2-12 units sharing weights
N_ROUNDS = 60  # real submissions: townships ranked and pooled by the county

_n = 0
_failed = 0


def ok(cond, name, diag=()):
    global _n, _failed
    _n += 1
    print(("ok" if cond else "not ok") + f" {_n} - {name}")
    if not cond:
        _failed += 1
        for line in list(diag)[:15]:
            print(f"#   {line}")
    sys.stdout.flush()


def psql(db, script):
    r = subprocess.run(
        ["psql", "-X", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", db],
        input=script, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return [line.split("|") for line in r.stdout.splitlines() if line]


# Exact arithmetic -----------------------------------------------------------

def exact(counts, weights):
    """The composite as a Fraction (percent), or None: counts are
    ((n, d), ...) per figure, weights Fractions."""
    num = Fraction(0)
    wsum = Fraction(0)
    for (n, d), w in zip(counts, weights):
        if d > 0:
            num += w * Fraction(n, d)
            wsum += w
    if wsum == 0:
        return None
    return 100 * num / wsum


def rounded(v):
    """Half up to hundredths, as PostgreSQL prints a numeric of scale 2."""
    if v is None:
        return ""
    q = math.floor(v * 100 + Fraction(1, 2))
    return f"{q // 100}.{q % 100:02d}"


def is_half(v):
    return v is not None and (v * 200).denominator == 1 and (v * 200).numerator % 2 == 1


def competition_ranks(values):
    """values: rounded composites as strings ('' = NULL) -> rank or ''."""
    keys = [Fraction(v) if v else None for v in values]
    return ["" if k is None else str(1 + sum(1 for o in keys if o is not None and o > k))
            for k in keys]


# Random cases -----------------------------------------------------------------

def rand_weight(rng):
    kind = rng.random()
    if kind < 0.15:
        return "0"
    if kind < 0.45:
        return str(rng.randint(1, 5))
    if kind < 0.85:  # decimals, 1 to 4 places
        places = rng.randint(1, 4)
        return f"{rng.randint(0, 5 * 10 ** places) / 10 ** places:.{places}f}"
    if kind < 0.95:  # a long decimal, as someone typing 1/3
        return "0." + "3" * rng.randint(10, 30)
    return str(rng.randint(1, 10 ** 6))


def rand_pair(rng):
    kind = rng.random()
    if kind < 0.2:
        return (0, 0)  # a NULL figure
    if kind < 0.55:
        d = rng.randint(1, 12)
    elif kind < 0.85:
        d = rng.randint(1, 2000)
    else:
        d = rng.randint(1, 10 ** 12)
    return (rng.randint(0, d), d)


HALF_DENOMS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 40, 50, 80, 125, 200, 400]
HALF_WEIGHTS = ["0", "1", "1", "2", "3", "5", "0.5", "0.25", "1.5", "0.75", "2.5", "0.125"]


def small_pair(rng, denoms=HALF_DENOMS):
    if rng.random() < 0.2:
        return (0, 0)
    d = rng.choice(denoms)
    return (rng.randint(0, d), d)


def repeating(counts, weights):
    """Whether a weighted figure is a repeating decimal (its reduced
    denominator has a factor other than 2 and 5): the cases a rate rounded
    before combining gets wrong."""
    for (n, d), w in zip(counts, weights):
        if d > 0 and w != 0:
            q = Fraction(n, d).denominator
            for p in (2, 5):
                while q % p == 0:
                    q //= p
            if q > 1:
                return True
    return False


def small_half_case(rng):
    """A half from small counts and weights, as 40.625 is."""
    while True:
        counts = [small_pair(rng) for _ in range(3)]
        weights = [rng.choice(HALF_WEIGHTS) for _ in range(3)]
        if is_half(exact(counts, [Fraction(w) for w in weights])):
            return counts, weights


def half_case(rng):
    """A count set and weights whose exact composite is m + 1/2 hundredths:
    two figures drawn, the first a repeating decimal, the third solved for
    a half in its range."""
    while True:
        weights = [rng.choice(HALF_WEIGHTS[1:]), rng.choice(HALF_WEIGHTS), rng.choice(HALF_WEIGHTS[1:])]
        w = [Fraction(x) for x in weights]
        d1 = rng.choice([3, 6, 7, 9, 12, 30, 70, 300])
        f = [(rng.randint(0, d1), d1), small_pair(rng)]
        wsum = w[0] + w[2] + (w[1] if f[1][1] > 0 else 0)
        lo = sum(wi * Fraction(n, d) for (n, d), wi in zip(f, w) if d > 0)
        hi = lo + w[2]
        # the weighted sum T = wsum * (2m + 1) / 20000 must lie in [lo, hi]
        m_lo = math.ceil((lo * 20000 / wsum - 1) / 2)
        m_hi = math.floor((hi * 20000 / wsum - 1) / 2)
        if m_lo > m_hi:
            continue
        f3 = (wsum * Fraction(2 * rng.randint(m_lo, m_hi) + 1, 20000) - lo) / w[2]
        k = rng.randint(1, 3)
        counts = [f[0], f[1], (f3.numerator * k, f3.denominator * k)]
        order = rng.sample(range(3), 3)  # the solved figure in any place
        counts = [counts[i] for i in order]
        weights = [weights[i] for i in order]
        w = [Fraction(x) for x in weights]
        assert is_half(exact(counts, w))
        if repeating(counts, w):
            return counts, weights


def cases(rng):
    """(group, counts, weights) rows: singles, halves, then rankings."""
    out = []
    g = 0
    # the issue's case and named edge cases first
    fixed = [
        ([(5, 8), (0, 0), (2, 6)], ["1", "1", "3"]),      # 40.625 -> 40.63
        ([(5, 8), (0, 0), (2, 6)], ["0.25", "0.25", "0.75"]),
        ([(0, 0), (0, 0), (0, 0)], ["1", "1", "1"]),      # no figure: NULL
        ([(1, 2), (1, 3), (0, 0)], ["0", "0", "7"]),      # weights only on a NULL figure: NULL
        ([(0, 7), (0, 0), (0, 1)], ["1", "1", "1"]),      # 0.00
        ([(9, 9), (3, 3), (4, 4)], ["2", "0.5", "1"]),    # 100.00
    ]
    for counts, weights in fixed:
        out.append((g, counts, weights, "fixed"))
        g += 1
    for _ in range(N_RANDOM):
        out.append((g, [rand_pair(rng) for _ in range(3)], [rand_weight(rng) for _ in range(3)],
                    "random"))
        g += 1
    for k in range(N_HALVES):
        counts, weights = small_half_case(rng) if k % 3 == 0 else half_case(rng)
        out.append((g, counts, weights, "half"))
        g += 1
    for _ in range(N_RANKINGS):
        weights = [rand_weight(rng) for _ in range(3)]
        for _ in range(rng.randint(2, 12)):
            if rng.random() < 0.5:
                counts = [rand_pair(rng) for _ in range(3)]
            else:  # small counts: ties on the rounded composite
                counts = [small_pair(rng) for _ in range(3)]
            out.append((g, counts, weights, "ranking"))
        g += 1
    return out


def check_cases(db, rows):
    lines = []
    for i, (g, c, w, _) in enumerate(rows):
        lines.append("\t".join(str(x) for x in
                               [i, g, c[0][0], c[0][1], c[1][0], c[1][1], c[2][0], c[2][1], *w]))
    psql(db, "CREATE TABLE c (id int, grp int, ne bigint, de bigint, nd bigint, dd bigint,"
             " nw bigint, dw bigint, ws numeric, wc numeric, wv numeric);\n"
             "COPY c FROM STDIN;\n" + "\n".join(lines) + "\n\\.\n")
    # report.composite for each case
    direct, err_direct = {}, []
    try:
        direct = {int(r[0]): r[1] for r in psql(
            db, "SELECT c.id, coalesce(x.v::text, '')"
                "  FROM c CROSS JOIN LATERAL report.composite(ne, de, nd, dd, nw, dw, ws, wc, wv) x(v)"
                " ORDER BY c.id")}
    except RuntimeError as e:
        err_direct = str(e).splitlines()
    # report.rank_figures for each group, the figures built as
    # township_figures builds them
    ranked = {int(r[0]): (r[1], r[2]) for r in psql(
        db, "SELECT r.code::int, coalesce(r.composite::text, ''), coalesce(r.composite_rank::text, '')"
            "  FROM (SELECT grp, min(ws) AS ws, min(wc) AS wc, min(wv) AS wv,"
            "               array_agg(ROW(lpad(id::text, 9, '0'), 'u',"
            "                   CASE WHEN de > 0 THEN ne::numeric / de END,"
            "                   CASE WHEN dd > 0 THEN nd::numeric / dd END,"
            "                   CASE WHEN dw > 0 THEN nw::numeric / dw END, NULL,"
            "                   '已报送', '{}', 1, 1, de, ne, dd, nd, nw, dw, 0, 0, 1, 1"
            "               )::report.figure) AS f"
            "          FROM c GROUP BY grp) g"
            "  CROSS JOIN LATERAL report.rank_figures(g.f, g.ws, g.wc, g.wv) r"
            " ORDER BY 1")}

    want = [rounded(exact(c, [Fraction(x) for x in w])) for (_, c, w, _) in rows]
    want_rank = [""] * len(rows)
    groups = {}
    for i, (g, _, _, _) in enumerate(rows):
        groups.setdefault(g, []).append(i)
    for ids in groups.values():
        for i, rk in zip(ids, competition_ranks([want[i] for i in ids])):
            want_rank[i] = rk

    def bad(kinds, got):
        b = [f"case {i} {rows[i][1]} weights {rows[i][2]}: got {got(i)!r}, exact {want[i]!r}"
             for i in range(len(rows)) if rows[i][3] in kinds and got(i) != want[i]]
        return [f"{len(b)} of {sum(1 for r in rows if r[3] in kinds)} differ"] + b if b else []

    n_single = sum(1 for r in rows if r[3] in ("fixed", "random"))
    ok(direct.get(0) == "40.63" and ranked.get(0, ("",))[0] == "40.63",
       "weights 1:1:3, 5/8, no completion, 2/6: 40.625 rounds half up to 40.63",
       [f"report.composite {direct.get(0)!r}, rank_figures {ranked.get(0)!r}"])
    ok(direct.get(2) == "" and direct.get(3) == "" and direct.get(4) == "0.00"
       and direct.get(5) == "100.00",
       "no figure, or weight only on NULL figures: NULL; 0.00 and 100.00 keep two decimals",
       [f"{direct.get(i)!r}" for i in (2, 3, 4, 5)])
    b = err_direct + bad(("fixed", "random"), lambda i: direct.get(i))
    ok(not b, f"report.composite equals exact fractions in {n_single} random count sets", b)
    b = err_direct + bad(("half",), lambda i: direct.get(i))
    ok(not b, f"report.composite rounds {N_HALVES} constructed exact halves up", b)
    b = bad(("fixed", "random", "half", "ranking"), lambda i: ranked.get(i, ("?",))[0])
    ok(not b, f"report.rank_figures composite equals exact fractions in all {len(rows)} cases", b)
    b = [f"case {i} group {rows[i][0]}: rank {ranked.get(i, ('', '?'))[1]!r}, want {want_rank[i]!r}"
         for i in range(len(rows)) if ranked.get(i, ("", "?"))[1] != want_rank[i]]
    b = [f"{len(b)} of {len(rows)} differ"] + b if b else []
    ok(not b, f"composite ranks are competition ranks on the exact rounded composite "
              f"({N_RANKINGS} rankings of 2-12 units)", b)


# Real submissions: township ranking and county summary ------------------------------

def town_counts(rng, small):
    """(handled, evaluated), (due, done), (listed, walked) of one township."""
    if small:
        h = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16])
        d = rng.choice([0, 1, 2, 3, 4, 5, 6, 8])
        w = rng.choice([0, 1, 2, 3, 4, 5, 6, 8])
    else:
        h = rng.choice([0, rng.randint(1, 50), rng.randint(1, 10 ** 7)])
        d = rng.randint(0, 12)
        w = rng.randint(0, 15)
    return (rng.randint(0, h), h), (rng.randint(0, d), d), (rng.randint(0, w), w)


def round_sql(k, towns, weights):
    """One round in a transaction that is rolled back: weights, townships
    with one October submission each, their ranking and the county's."""
    s = ["BEGIN;",
         f"UPDATE ref.weight SET weight = CASE figure WHEN 'service' THEN {weights[0]}"
         f" WHEN 'completion' THEN {weights[1]} ELSE {weights[2]} END;"]
    for t, ((e, h), (dn, du), (wk, ls)) in enumerate(towns):
        code = f"5399{k:03d}{t:02d}"
        wins = ", ".join(f"'other:窗口{j}'" for j in range(1, ls + 1))
        walks = ", ".join(f"'L01@W{j:02d}'" for j in range(1, wk + 1))
        probs = ", ".join([f"'P{j} 2026-10-02 2026-10-20'" for j in range(1, dn + 1)]
                          + [f"'P{j} 2026-10-02'" for j in range(dn + 1, du + 1)])
        s.append(f"SELECT test.town('{code}', '乡{t}');")
        s.append(f"SELECT test.sub('{code}', '2026-10', {h}, {e}, ARRAY[{wins}]::text[],"
                 f" ARRAY['L01'], ARRAY[{walks}]::text[], ARRAY[{probs}]::text[]);")
    s.append(f"SELECT 'T', {k}, code, coalesce(composite::text, ''), coalesce(composite_rank::text, '')"
             f" FROM report.ranking('2026-10', '2026-11-30') ORDER BY code;")
    s.append(f"SELECT 'S', {k}, coalesce(composite::text, '')"
             f" FROM report.county_summary('2026-10', '2026-11-30');")
    s.append("ROLLBACK;")
    return "\n".join(s)


def check_rounds(db, rng):
    rounds = []
    script = ["\\i " + os.path.join(TOP, "tests", "sql", "lib", "fixture.psql"),
              "DELETE FROM ref.township;"]
    halves = 0
    for k in range(N_ROUNDS):
        small = k % 2 == 0
        while True:
            weights = [rng.choice(HALF_WEIGHTS) if small else rand_weight(rng) for _ in range(3)]
            towns = [town_counts(rng, small) for _ in range(rng.randint(1, 5))]
            pooled = [(sum(t[f][0] for t in towns), sum(t[f][1] for t in towns)) for f in range(3)]
            v = exact(pooled, [Fraction(w) for w in weights])
            # half of the small rounds pool to an exact half hundredth
            if not small or k % 4 != 0 or is_half(v):
                break
        halves += is_half(v)
        rounds.append((towns, weights, pooled))
        script.append(round_sql(k, towns, weights))
    out = psql(db, "\n".join(script))
    got_t = {}
    got_s = {}
    for r in out:
        if r[0] == "T":
            got_t.setdefault(int(r[1]), []).append((r[3], r[4]))
        elif r[0] == "S":
            got_s[int(r[1])] = r[2]
    bad_t, bad_s = [], []
    for k, (towns, weights, pooled) in enumerate(rounds):
        w = [Fraction(x) for x in weights]
        want = [rounded(exact(t, w)) for t in towns]
        want = list(zip(want, competition_ranks(want)))
        if got_t.get(k) != want:
            bad_t.append(f"round {k} towns {towns} weights {weights}: got {got_t.get(k)}, want {want}")
        if got_s.get(k) != rounded(exact(pooled, w)):
            bad_s.append(f"round {k} pooled {pooled} weights {weights}: got {got_s.get(k)!r},"
                         f" want {rounded(exact(pooled, w))!r}")
    bad_t = [f"{len(bad_t)} of {N_ROUNDS} rounds differ"] + bad_t if bad_t else []
    bad_s = [f"{len(bad_s)} of {N_ROUNDS} rounds differ"] + bad_s if bad_s else []
    ok(not bad_t, f"report.ranking of real submissions: exact composites and their ranks "
                  f"({N_ROUNDS} rounds, 1-5 townships)", bad_t)
    ok(not bad_s, f"report.county_summary pools the counts: exact composite ({N_ROUNDS} rounds, "
                  f"{halves} pooling to an exact half)", bad_s)


def main():
    if shutil.which("psql") is None or shutil.which("createdb") is None:
        print("1..0 # SKIP psql not installed")
        return 0
    rng = random.Random(SEED)
    print(f"# seed {SEED} (BIZENV_PROP_SEED)")
    tmp = tempfile.mkdtemp(prefix="bizenv-t-")
    os.chmod(tmp, 0o755)
    db = "t_prop_" + os.path.basename(tmp).split("-")[-1].lower()
    os.makedirs(os.path.join(tmp, "home"))
    try:
        created = subprocess.run(["createdb", db], capture_output=True, text=True).returncode == 0
        migrated = created and subprocess.run(
            [BIZENV, "--home", os.path.join(tmp, "home"), "migrate", "--db", f"dbname={db}"],
            capture_output=True, text=True).returncode == 0
        ok(migrated, "scratch database with every migration")
        if not migrated:
            print(f"1..{_n}")
            return 1
        rows = cases(rng)
        check_cases(db, rows)
        check_rounds(db, rng)
    finally:
        subprocess.run(["dropdb", "--if-exists", db], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{_n}")
    return 1 if _failed else 0


if __name__ == "__main__":
    sys.exit(main())
