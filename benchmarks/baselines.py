"""Three baselines of the indicator stage, for the benchmark only (not part of custvalue).

Each reads the Parquet tables of ``make_data.py`` and returns the 15 indicators as a pandas
frame indexed by ``customer_id`` (NaN when missing), with the rules of
``docs/indicators.md`` under the default parameters (window: the 36 months ending at the
latest period; as-of date: the window's last day; ``duplicates``/``negative_energy``:
the data has none).  They differ in how they are written:

* :func:`duckdb_sql` — one hand-written DuckDB SQL query;
* :func:`pandas_vectorised` — idiomatic pandas (``groupby``), no loop over customers;
* :func:`python_loop` — a naive loop over customers in plain Python.

They compute in floating point (custvalue sums in fixed point), so values agree to about
1e-9 relative; per-bill late fees agree to the 1e-6 yuan custvalue rounds them to.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

INDICATORS = ("total_kwh", "revenue", "usage_growth", "electricity_share", "pf_compliance",
              "on_time_rate", "days_late", "arrears_ratio", "late_fee", "plan_completion",
              "violations_per_year", "fault_impact_per_year", "policy_rate",
              "work_cooperation", "suggestions_per_year")
STANDARD_SQL = """CASE
        WHEN customer_class = 'large_industrial' AND contract_kva > 160 THEN 90
        WHEN customer_class IN ('large_industrial', 'general_commercial_industrial')
             AND contract_kva >= 100 THEN 85
        WHEN customer_class = 'agricultural' AND contract_kva >= 100 THEN 80 END"""


def _window(latest_period: str) -> tuple[int, int, dt.date]:
    y, m = int(latest_period[:4]), int(latest_period[5:7])
    we = y * 12 + m - 1
    ws = we - 35
    ny, nm = divmod(we + 1, 12)
    as_of = dt.date(ny, nm + 1, 1) - dt.timedelta(days=1)
    return ws, we, as_of


# ----------------------------------------------------------------------------------------
# DuckDB SQL
# ----------------------------------------------------------------------------------------


def duckdb_sql(folder: Path, threads: int | None = None) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    f = {t: str(Path(folder) / f"{t}.parquet") for t in
         ("customers", "monthly", "events", "cooperation", "energy")}
    latest = con.execute(f"SELECT max(period) FROM read_parquet('{f['monthly']}')").fetchone()[0]
    ws, we, as_of = _window(latest)
    blocks = [(ws + 12 * k, ws + 12 * k + 11) for k in range(3)]
    block_sums = ",\n".join(
        f"sum(CASE WHEN p BETWEEN {lo} AND {hi} THEN kwh END) AS y{k}, "
        f"count(CASE WHEN p BETWEEN {lo} AND {hi} THEN kwh END) AS n{k}"
        for k, (lo, hi) in enumerate(blocks))
    sql = f"""
WITH c AS (
    SELECT customer_id, customer_class,
        greatest(least(coalesce(year(closed) * 12 + month(closed) - 1, {we}), {we})
                 - greatest(coalesce(year(opened) * 12 + month(opened) - 1, {ws}), {ws}) + 1,
                 0) AS exposure,
        {STANDARD_SQL} AS std,
        CASE WHEN customer_class = 'residential' THEN 0.001 ELSE 0.002 END AS r_cur,
        CASE WHEN customer_class = 'residential' THEN 0.001 ELSE 0.003 END AS r_car
    FROM read_parquet('{f['customers']}')
),
m AS (
    SELECT customer_id,
        CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1
            AS p,
        active_kwh AS kwh, reactive_kvarh AS fwd, reverse_kvarh AS rev, billed_amount AS billed,
        due_date, paid_date, paid_amount, planned_kwh
    FROM read_parquet('{f['monthly']}')
),
r1 AS (
    SELECT m.*, c.std, c.r_cur, c.r_car,
        (fwd IS NOT NULL OR rev IS NOT NULL) AS has_kvarh,
        CASE WHEN kwh > 0 AND (fwd IS NOT NULL OR rev IS NOT NULL) THEN
            floor(100 * kwh / sqrt(kwh * kwh + power(abs(coalesce(fwd, 0))
                                                     + abs(coalesce(rev, 0)), 2))
                  + 0.5 + 1e-9) END AS pf_c,
        (billed > 0 AND due_date IS NOT NULL AND due_date <= DATE '{as_of}') AS bill,
        make_date(year(due_date), 12, 31) AS dec31
    FROM m JOIN c USING (customer_id)
    WHERE p BETWEEN {ws} AND {we}
),
r2 AS (
    SELECT *,
        CASE WHEN bill AND paid_date IS NOT NULL AND paid_date <= DATE '{as_of}'
             THEN least(greatest(coalesce(paid_amount, 0), 0), billed) ELSE 0 END AS paid
    FROM r1
),
r3 AS (
    SELECT *,
        CASE WHEN bill AND paid < billed - 0.005 THEN billed - paid ELSE 0 END AS unpaid,
        CASE WHEN bill AND paid > 0 AND paid_date > due_date
             THEN paid_date - due_date ELSE 0 END AS lpd,
        (bill AND paid >= billed - 0.005 AND paid_date <= due_date) AS on_time
    FROM r2
),
r4 AS (
    SELECT *,
        CASE WHEN unpaid > 0 AND due_date < DATE '{as_of}'
             THEN DATE '{as_of}' - due_date ELSE 0 END AS lud,
        CASE WHEN lpd > 0 THEN least(paid_date, dec31) - due_date ELSE 0 END AS pcur
    FROM r3
),
r5 AS (
    SELECT *,
        CASE WHEN lud > 0 THEN least(DATE '{as_of}', dec31) - due_date ELSE 0 END AS ucur
    FROM r4
),
agg AS (
    SELECT customer_id,
        count(*) AS months, sum(kwh) AS total_kwh, sum(billed) AS revenue,
        {block_sums},
        sum(CASE WHEN has_kvarh THEN 1 ELSE 0 END) AS kvarh_n,
        count(pf_c) AS pf_n, count(CASE WHEN pf_c >= std THEN 1 END) AS pf_ok,
        sum(CASE WHEN bill THEN 1 ELSE 0 END) AS bills,
        sum(CASE WHEN on_time THEN 1 ELSE 0 END) AS on_time,
        sum(CASE WHEN bill THEN billed ELSE 0 END) AS billed_due,
        sum(unpaid) AS unpaid, sum(paid * lpd + unpaid * lud) AS wdays,
        sum(CASE WHEN lpd > 0 OR lud > 0 THEN greatest(
            paid * (r_cur * pcur + r_car * (lpd - pcur))
            + unpaid * (r_cur * ucur + r_car * (lud - ucur)), 1.0) ELSE 0 END) AS fee,
        count(planned_kwh) AS plan_n, sum(planned_kwh) AS plan_sum,
        sum(CASE WHEN planned_kwh IS NOT NULL THEN coalesce(kwh, 0) ELSE 0 END) AS plan_actual
    FROM r5 GROUP BY customer_id
),
g AS (
    SELECT *,
        (CASE WHEN n0 >= 12 THEN 1 ELSE 0 END) + (CASE WHEN n1 >= 12 THEN 1 ELSE 0 END)
            + (CASE WHEN n2 >= 12 THEN 1 ELSE 0 END) AS n_full,
        CASE WHEN n0 >= 12 THEN y0 WHEN n1 >= 12 THEN y1 WHEN n2 >= 12 THEN y2 END AS e_first,
        CASE WHEN n2 >= 12 THEN y2 WHEN n1 >= 12 THEN y1 WHEN n0 >= 12 THEN y0 END AS e_last,
        (CASE WHEN n2 >= 12 THEN 2 WHEN n1 >= 12 THEN 1 ELSE 0 END)
            - (CASE WHEN n0 >= 12 THEN 0 WHEN n1 >= 12 THEN 1 ELSE 2 END) AS span
    FROM agg
),
ev AS (
    SELECT customer_id,
        count(CASE WHEN kind = 'violation' THEN 1 END) AS violations,
        sum(CASE WHEN kind = 'fault_affecting_others'
                 THEN coalesce(affected_customers, 1) ELSE 0 END) AS fault_impact
    FROM read_parquet('{f['events']}')
    WHERE year(date) * 12 + month(date) - 1 BETWEEN {ws} AND {we}
    GROUP BY customer_id
),
co AS (
    SELECT customer_id,
        count(CASE WHEN kind = 'policy_requested' THEN 1 END) AS requested,
        count(CASE WHEN kind = 'policy_implemented' THEN 1 END) AS implemented,
        avg(CASE WHEN kind = 'work_cooperation' THEN score END) AS score,
        count(CASE WHEN kind = 'suggestion' THEN 1 END) AS suggestions
    FROM read_parquet('{f['cooperation']}')
    WHERE year(date) * 12 + month(date) - 1 BETWEEN {ws} AND {we}
    GROUP BY customer_id
),
latest_audit AS (
    SELECT * FROM read_parquet('{f['energy']}')
    WHERE year <= {we // 12}
    QUALIFY year = max(year) OVER (PARTITION BY customer_id)
),
en AS (
    SELECT customer_id, sum(electricity_tce) AS elec, sum(total_energy_tce) AS total
    FROM latest_audit GROUP BY customer_id
)
SELECT c.customer_id,
    CASE WHEN g.months > 0 THEN g.total_kwh END AS total_kwh,
    CASE WHEN g.months > 0 THEN g.revenue END AS revenue,
    CASE WHEN g.n_full >= 2 AND g.e_first > 0 AND g.e_last >= 0
         THEN power(g.e_last / g.e_first, 1.0 / g.span) - 1 END AS usage_growth,
    CASE WHEN en.total > 0 THEN en.elec / en.total END AS electricity_share,
    CASE WHEN c.std IS NOT NULL AND g.pf_n > 0 THEN g.pf_ok / g.pf_n END AS pf_compliance,
    CASE WHEN g.bills > 0 THEN g.on_time / g.bills END AS on_time_rate,
    CASE WHEN g.bills > 0 THEN g.wdays / g.billed_due END AS days_late,
    CASE WHEN g.bills > 0 THEN g.unpaid / g.billed_due END AS arrears_ratio,
    CASE WHEN g.bills > 0 THEN g.fee END AS late_fee,
    CASE WHEN g.plan_n > 0 AND g.plan_sum > 0 THEN
        least(greatest(1 - abs(g.plan_actual - g.plan_sum) / g.plan_sum, 0), 1)
        END AS plan_completion,
    CASE WHEN c.exposure > 0 THEN coalesce(ev.violations, 0) * 12.0 / c.exposure END
        AS violations_per_year,
    CASE WHEN c.exposure > 0 THEN coalesce(ev.fault_impact, 0) * 12.0 / c.exposure END
        AS fault_impact_per_year,
    CASE WHEN co.requested > 0 THEN least(co.implemented / co.requested, 1) END AS policy_rate,
    co.score AS work_cooperation,
    CASE WHEN c.exposure > 0 THEN coalesce(co.suggestions, 0) * 12.0 / c.exposure END
        AS suggestions_per_year
FROM c LEFT JOIN g USING (customer_id) LEFT JOIN ev USING (customer_id)
    LEFT JOIN co USING (customer_id) LEFT JOIN en USING (customer_id)
ORDER BY c.customer_id
"""
    out = con.execute(sql).df().set_index("customer_id")
    return out.astype("float64")


# ----------------------------------------------------------------------------------------
# pandas, vectorised
# ----------------------------------------------------------------------------------------


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(Path(folder) / f"{t}.parquet") for t in
            ("customers", "monthly", "events", "cooperation", "energy")}


def _days(s: pd.Series) -> pd.Series:
    return s.astype("datetime64[s]").astype("int64") // 86_400


def pandas_vectorised(folder: Path) -> pd.DataFrame:
    t = _read(folder)
    cust = t["customers"].set_index("customer_id")
    m = t["monthly"]
    p = m["period"].str.slice(0, 4).astype(int) * 12 + m["period"].str.slice(5, 7).astype(int) - 1
    ws, we, as_of = _window(m["period"].max())
    m = m.assign(p=p)[(p >= ws) & (p <= we)]
    as_of_day = (as_of - dt.date(1970, 1, 1)).days

    def month_idx(s: pd.Series, default: int) -> pd.Series:
        d = pd.to_datetime(s)
        return (d.dt.year * 12 + d.dt.month - 1).fillna(default)

    first = month_idx(cust["opened"], ws).clip(lower=ws)
    last = month_idx(cust["closed"], we).clip(upper=we)
    exposure = (last - first + 1).clip(lower=0)
    cls, kva = cust["customer_class"], cust["contract_kva"]
    std = pd.Series(np.select(
        [(cls == "large_industrial") & (kva > 160),
         cls.isin(["large_industrial", "general_commercial_industrial"]) & (kva >= 100),
         (cls == "agricultural") & (kva >= 100)], [90.0, 85.0, 80.0], np.nan), index=cust.index)
    resid = cls == "residential"
    r_cur = pd.Series(np.where(resid, 0.001, 0.002), index=cust.index)
    r_car = pd.Series(np.where(resid, 0.001, 0.003), index=cust.index)

    kwh, fwd, rev = m["active_kwh"], m["reactive_kvarh"], m["reverse_kvarh"]
    has_kvarh = fwd.notna() | rev.notna()
    kvarh = fwd.fillna(0).abs() + rev.fillna(0).abs()
    pf_c = np.floor(100 * kwh / np.sqrt(kwh * kwh + kvarh * kvarh) + 0.5 + 1e-9)
    pf_c = pf_c.where((kwh > 0) & has_kvarh)
    ok = pf_c >= m["customer_id"].map(std)

    due, paid_day = _days(m["due_date"]), _days(m["paid_date"])
    billed = m["billed_amount"]
    bill = (billed > 0) & m["due_date"].notna() & (due <= as_of_day)
    paid = m["paid_amount"].fillna(0).clip(lower=0).clip(upper=billed)
    paid = paid.where(bill & m["paid_date"].notna() & (paid_day <= as_of_day), 0.0)
    full = bill & (paid >= billed - 0.005)
    unpaid = (billed - paid).where(bill & ~full, 0.0)
    lpd = (paid_day - due).where(bill & (paid > 0) & (paid_day > due), 0).fillna(0)
    late_u = (unpaid > 0) & (due < as_of_day)
    lud = (as_of_day - due).where(late_u, 0).fillna(0)
    dec31 = _days(pd.to_datetime(pd.to_datetime(m["due_date"]).dt.year.astype("Int64")
                                 .astype(str) + "-12-31", errors="coerce"))
    pcur = (np.minimum(paid_day, dec31) - due).where(lpd > 0, 0).fillna(0)
    ucur = (np.minimum(as_of_day, dec31) - due).where(lud > 0, 0).fillna(0)
    rc, rk = m["customer_id"].map(r_cur), m["customer_id"].map(r_car)
    fee = (paid * (rc * pcur + rk * (lpd - pcur)) + unpaid * (rc * ucur + rk * (lud - ucur)))
    fee = fee.clip(lower=1.0).where((lpd > 0) | (lud > 0), 0.0)
    planned = m["planned_kwh"]
    blocks = {}
    for k in range(3):
        inb = m["p"].between(ws + 12 * k, ws + 12 * k + 11) & kwh.notna()
        blocks[f"y{k}"] = kwh.where(inb, 0.0)
        blocks[f"n{k}"] = inb.astype(int)
    rows = pd.DataFrame({
        "customer_id": m["customer_id"], "kwh": kwh, "billed": billed,
        "pf_n": pf_c.notna().astype(int), "pf_ok": ok.astype(int),
        "bills": bill.astype(int), "on_time": (full & (paid_day <= due)).astype(int),
        "billed_due": billed.where(bill, 0.0), "unpaid": unpaid,
        "wdays": paid * lpd + unpaid * lud, "fee": fee,
        "plan_n": planned.notna().astype(int), "plan_sum": planned,
        "plan_actual": kwh.fillna(0).where(planned.notna(), 0.0), **blocks,
    })
    g = rows.groupby("customer_id").agg(
        months=("kwh", "size"), total_kwh=("kwh", "sum"), revenue=("billed", "sum"),
        **{c: (c, "sum") for c in rows.columns if c not in ("customer_id", "kwh", "billed")})
    g = g.reindex(cust.index)
    months = g["months"].fillna(0)
    out = pd.DataFrame(index=cust.index)
    out["total_kwh"] = g["total_kwh"].where(months > 0)
    out["revenue"] = g["revenue"].where(months > 0)
    full_k = [g[f"n{k}"] >= 12 for k in range(3)]
    e = [g[f"y{k}"] for k in range(3)]
    e_first = np.select(full_k, e, np.nan)
    e_last = np.select(full_k[::-1], e[::-1], np.nan)
    i_first = np.select(full_k, [0, 1, 2], 0)
    i_last = np.select(full_k[::-1], [2, 1, 0], 0)
    n_full = sum(f.astype(int) for f in full_k)
    ok_growth = (n_full >= 2) & (e_first > 0) & (e_last >= 0)
    with np.errstate(all="ignore"):
        growth = (e_last / e_first) ** (1.0 / (i_last - i_first)) - 1
    out["usage_growth"] = np.where(ok_growth, growth, np.nan)
    en = t["energy"][t["energy"]["year"] <= we // 12]
    en = en[en["year"] == en.groupby("customer_id")["year"].transform("max")]
    en = en.groupby("customer_id")[["electricity_tce", "total_energy_tce"]].sum()
    en = en.reindex(cust.index)
    out["electricity_share"] = (en["electricity_tce"] / en["total_energy_tce"]).where(
        en["total_energy_tce"] > 0)
    out["pf_compliance"] = (g["pf_ok"] / g["pf_n"]).where(std.notna() & (g["pf_n"] > 0))
    has_bills = g["bills"] > 0
    out["on_time_rate"] = (g["on_time"] / g["bills"]).where(has_bills)
    out["days_late"] = (g["wdays"] / g["billed_due"]).where(has_bills)
    out["arrears_ratio"] = (g["unpaid"] / g["billed_due"]).where(has_bills)
    out["late_fee"] = g["fee"].where(has_bills)
    out["plan_completion"] = (1 - (g["plan_actual"] - g["plan_sum"]).abs() / g["plan_sum"]).clip(
        0, 1).where((g["plan_n"] > 0) & (g["plan_sum"] > 0))

    def in_window(frame: pd.DataFrame) -> pd.DataFrame:
        d = pd.to_datetime(frame["date"])
        q = d.dt.year * 12 + d.dt.month - 1
        return frame[(q >= ws) & (q <= we)]

    ev = in_window(t["events"])
    viol = (ev["kind"] == "violation").groupby(ev["customer_id"]).sum()
    fault = ev["affected_customers"].astype("float64").fillna(1.0).where(
        ev["kind"] == "fault_affecting_others", 0.0).groupby(ev["customer_id"]).sum()
    years = (exposure / 12.0).where(exposure > 0)
    out["violations_per_year"] = viol.reindex(cust.index, fill_value=0) / years
    out["fault_impact_per_year"] = fault.reindex(cust.index, fill_value=0) / years
    co = in_window(t["cooperation"])
    kinds = pd.crosstab(co["customer_id"], co["kind"]).reindex(cust.index, fill_value=0)
    for k in ("policy_requested", "policy_implemented", "suggestion"):
        if k not in kinds:
            kinds[k] = 0
    req = kinds["policy_requested"]
    out["policy_rate"] = (kinds["policy_implemented"] / req).clip(upper=1).where(req > 0)
    scores = co[co["kind"] == "work_cooperation"].groupby("customer_id")["score"].mean()
    out["work_cooperation"] = scores.reindex(cust.index)
    out["suggestions_per_year"] = kinds["suggestion"] / years
    return out.sort_index().astype("float64")


# ----------------------------------------------------------------------------------------
# naive Python loop
# ----------------------------------------------------------------------------------------


def python_loop(folder: Path) -> pd.DataFrame:
    t = _read(folder)
    epoch = dt.date(1970, 1, 1)

    def day(v) -> int | None:
        if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
            return None
        return (pd.Timestamp(v).date() - epoch).days

    def nan(v) -> float | None:
        return None if v is None or pd.isna(v) else float(v)

    latest = max(t["monthly"]["period"])
    ws, we, as_of = _window(latest)
    as_of_day = (as_of - epoch).days
    by_customer: dict[str, list] = {}
    for row in t["monthly"].itertuples(index=False):
        by_customer.setdefault(row.customer_id, []).append(row)
    events: dict[str, list] = {}
    for row in t["events"].itertuples(index=False):
        events.setdefault(row.customer_id, []).append(row)
    coop: dict[str, list] = {}
    for row in t["cooperation"].itertuples(index=False):
        coop.setdefault(row.customer_id, []).append(row)
    audits: dict[str, list] = {}
    for row in t["energy"].itertuples(index=False):
        audits.setdefault(row.customer_id, []).append(row)

    def month_of(v) -> int | None:
        if v is None or pd.isna(v):
            return None
        ts = pd.Timestamp(v)
        return ts.year * 12 + ts.month - 1

    results = {}
    for c in t["customers"].itertuples(index=False):
        res = dict.fromkeys(INDICATORS, np.nan)
        o, cl = month_of(c.opened), month_of(c.closed)
        exposure = max(min(cl if cl is not None else we, we) - max(o if o is not None else ws,
                                                                   ws) + 1, 0)
        if c.customer_class == "large_industrial" and c.contract_kva > 160:
            std = 90
        elif c.customer_class in ("large_industrial", "general_commercial_industrial") \
                and c.contract_kva >= 100:
            std = 85
        elif c.customer_class == "agricultural" and c.contract_kva >= 100:
            std = 80
        else:
            std = None
        rc, rk = (0.001, 0.001) if c.customer_class == "residential" else (0.002, 0.003)
        rows = []
        for r in by_customer.get(c.customer_id, []):
            p = int(r.period[:4]) * 12 + int(r.period[5:7]) - 1
            if ws <= p <= we:
                rows.append((p, r))
        if rows:
            res["total_kwh"] = sum(nan(r.active_kwh) or 0.0 for _, r in rows)
            res["revenue"] = sum(nan(r.billed_amount) or 0.0 for _, r in rows)
            year_kwh, year_n = [0.0, 0.0, 0.0], [0, 0, 0]
            pf_n = pf_ok = bills = on_time = 0
            billed_due = unpaid_sum = wdays = fee_sum = 0.0
            plan_n, plan_sum, plan_actual = 0, 0.0, 0.0
            for p, r in rows:
                kwh = nan(r.active_kwh)
                k = (p - ws) // 12
                if kwh is not None:
                    year_kwh[k] += kwh
                    year_n[k] += 1
                fwd, rev = nan(r.reactive_kvarh), nan(r.reverse_kvarh)
                if kwh is not None and kwh > 0 and (fwd is not None or rev is not None):
                    kvarh = abs(fwd or 0.0) + abs(rev or 0.0)
                    cents = math.floor(100 * kwh / math.sqrt(kwh * kwh + kvarh * kvarh)
                                       + 0.5 + 1e-9)
                    pf_n += 1
                    pf_ok += std is not None and cents >= std
                planned = nan(r.planned_kwh)
                if planned is not None:
                    plan_n += 1
                    plan_sum += planned
                    plan_actual += kwh or 0.0
                billed, due, paid_on = nan(r.billed_amount), day(r.due_date), day(r.paid_date)
                if billed is None or billed <= 0 or due is None or due > as_of_day:
                    continue
                bills += 1
                billed_due += billed
                paid = 0.0
                if paid_on is not None and paid_on <= as_of_day:
                    paid = min(max(nan(r.paid_amount) or 0.0, 0.0), billed)
                full = paid >= billed - 0.005
                unpaid = 0.0 if full else billed - paid
                on_time += full and paid_on is not None and paid_on <= due
                dec31 = (dt.date(pd.Timestamp(r.due_date).year, 12, 31) - epoch).days
                lpd = paid_on - due if paid > 0 and paid_on > due else 0
                lud = as_of_day - due if unpaid > 0 and due < as_of_day else 0
                pcur = min(paid_on, dec31) - due if lpd > 0 else 0
                ucur = min(as_of_day, dec31) - due if lud > 0 else 0
                unpaid_sum += unpaid
                wdays += paid * lpd + unpaid * lud
                if lpd > 0 or lud > 0:
                    fee_sum += max(paid * (rc * pcur + rk * (lpd - pcur))
                                   + unpaid * (rc * ucur + rk * (lud - ucur)), 1.0)
            full_years = [k for k in range(3) if year_n[k] >= 12]
            if len(full_years) >= 2:
                i, j = full_years[0], full_years[-1]
                if year_kwh[i] > 0 and year_kwh[j] >= 0:
                    res["usage_growth"] = (year_kwh[j] / year_kwh[i]) ** (1.0 / (j - i)) - 1
            if std is not None and pf_n > 0:
                res["pf_compliance"] = pf_ok / pf_n
            if bills:
                res["on_time_rate"] = on_time / bills
                res["days_late"] = wdays / billed_due
                res["arrears_ratio"] = unpaid_sum / billed_due
                res["late_fee"] = fee_sum
            if plan_n and plan_sum > 0:
                res["plan_completion"] = min(max(1 - abs(plan_actual - plan_sum) / plan_sum,
                                                 0.0), 1.0)
        latest_audit = [a for a in audits.get(c.customer_id, []) if a.year <= we // 12]
        if latest_audit:
            year = max(a.year for a in latest_audit)
            total = sum(a.total_energy_tce for a in latest_audit if a.year == year)
            elec = sum(a.electricity_tce for a in latest_audit if a.year == year)
            if total > 0:
                res["electricity_share"] = elec / total
        if exposure > 0:
            evs = [e for e in events.get(c.customer_id, []) if ws <= month_of(e.date) <= we]
            res["violations_per_year"] = sum(e.kind == "violation" for e in evs) * 12 / exposure
            res["fault_impact_per_year"] = sum(
                (1.0 if pd.isna(e.affected_customers) else float(e.affected_customers))
                for e in evs if e.kind == "fault_affecting_others") * 12 / exposure
        cos = [x for x in coop.get(c.customer_id, []) if ws <= month_of(x.date) <= we]
        req = sum(x.kind == "policy_requested" for x in cos)
        if req:
            res["policy_rate"] = min(sum(x.kind == "policy_implemented" for x in cos) / req, 1)
        scores = [x.score for x in cos if x.kind == "work_cooperation" and not pd.isna(x.score)]
        if scores:
            res["work_cooperation"] = sum(scores) / len(scores)
        if exposure > 0:
            res["suggestions_per_year"] = sum(x.kind == "suggestion" for x in cos) * 12 / exposure
        results[c.customer_id] = res
    out = pd.DataFrame.from_dict(results, orient="index")[list(INDICATORS)]
    out.index.name = "customer_id"
    return out.sort_index().astype("float64")
