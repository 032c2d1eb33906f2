#!/usr/bin/env python3
"""Generate the embedded example data set of the fictional city of Lanshui.

Every name in this data set (city, districts, towns, plants, venues, lab) is invented.

Run from anywhere:

    /usr/bin/python3 data/example/generate.py

It (re)writes, next to this file:

    sites.yaml              plants and venues (the engine's strict sites schema)
    flows.csv               daily influent flow of every plant on every sampled day
    batches/<YYYYQn>.csv    one assay batch per calendar quarter, 2022Q1 .. 2024Q4
    bad_batch.csv           a small hand-designed batch with one planted error per bad row
    expected_signals.yaml   the complete set of flags the default thresholds must raise

The output is deterministic: every random stream is derived from SEED and a fixed
string key (see `stream`), so re-running gives byte-identical files, and changing one
part of the generator does not reshuffle the random numbers of the others.

After writing, the generator reads its own files back and recomputes what the engine
will compute (daily consumption from the written, rounded concentrations and flows;
campaign means; ketamine/norketamine ratios) and asserts that the crossings of the
default thresholds are exactly the planted ones, with safety margins. It fails loudly
(AssertionError, non-zero exit) otherwise.

Only the standard library and numpy are used.
"""

import csv
import datetime as dt
import math
import os
import zlib
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

# --------------------------------------------------------------------------------------
# Global settings
# --------------------------------------------------------------------------------------

SEED = 20241130                     # root seed of every random stream
OUT_DIR = os.path.dirname(os.path.abspath(__file__))
CITY = "Lanshui"

YEARS = (2022, 2023, 2024)          # 12 campaigns: 2022Q1 .. 2024Q4
DAYS_PER_CAMPAIGN = 7               # consecutive 24-h composite samples per plant per quarter
LAB_ID = "LS-CDC-LAB"               # fictional municipal CDC laboratory
METHOD_OLD = "LCMSMS-DRUGS-v2"      # LC-MS/MS method used up to 2023Q2
METHOD_NEW = "LCMSMS-DRUGS-v3"      # ... and from 2023Q3 on (same LOD/LOQ)
METHOD_SWITCH = "2023Q3"
UG_PER_L_CAMPAIGN = "2023Q2"        # this batch reports values AND lod/loq in ug/L

# Analytes in the order they are written for every sample.
ANALYTES = ("methamphetamine", "amphetamine", "mdma", "ketamine", "norketamine",
            "benzoylecgonine", "morphine", "codeine", "cotinine")

# LOD / LOQ in ng/L, written verbatim (as strings, to keep their exact decimal form).
LIMITS_NG_L = {
    "methamphetamine": ("0.5", "1.5"),
    "amphetamine": ("0.5", "1.5"),
    "mdma": ("0.5", "1.5"),
    "ketamine": ("0.3", "1.0"),
    "norketamine": ("0.3", "1.0"),
    "benzoylecgonine": ("0.5", "1.5"),
    "morphine": ("1", "3"),
    "codeine": ("1", "3"),
    "cotinine": ("5", "15"),
}
VALUE_SIG_DIGITS = 3                # concentrations are reported with 3 significant digits

# Correction factors CF = (MW_drug / MW_residue) / F_excr (science.md section 2).
# Consumption [mg/day/1000 inh] = C [ng/L] * Q [m3/d] * 1e-3 / P * 1000 * CF.
CF = {
    "methamphetamine": 1 / 0.43,
    "amphetamine": 1 / 0.36,
    "mdma": (193.25 / 193.25) / 0.225,
    "ketamine": 1 / 0.20,
    "benzoylecgonine": (303.36 / 289.33) / 0.35,   # -> cocaine
    "morphine": 3.1,                               # -> heroin (medical part not removed)
    "codeine": 1 / 0.30,
}

# --------------------------------------------------------------------------------------
# The fictional city: 3 districts, 13 towns, 5 plants, 20 venues
# --------------------------------------------------------------------------------------

DISTRICT_OF_TOWN = {
    "Dongpan": "Dongpan", "Heqiao": "Dongpan", "Yuanli": "Dongpan",
    "Shilan": "Dongpan", "Meigang": "Dongpan", "Tanxi": "Dongpan",
    "Beishan": "Beishan", "Luoxi": "Beishan", "Qingtai": "Beishan",
    "Xiwan": "Xiwan", "Fenglin": "Xiwan", "Zhuyao": "Xiwan", "Linggou": "Xiwan",
}

# (id, name, towns served, census population, relative SD of the population figure)
PLANTS = (
    ("LS-WWTP-01", "Eastbank Water Reclamation Plant", ("Dongpan", "Heqiao", "Yuanli"), 160000, 0.10),
    ("LS-WWTP-02", "North Terrace Wastewater Treatment Plant", ("Beishan", "Luoxi", "Qingtai"), 120000, 0.10),
    ("LS-WWTP-03", "Tanxi Creek Water Purification Plant", ("Shilan", "Meigang", "Tanxi"), 95000, 0.12),
    ("LS-WWTP-04", "Westbay Wastewater Treatment Plant", ("Xiwan", "Fenglin"), 75000, 0.10),
    ("LS-WWTP-05", "Bamboo Hollow Sewage Treatment Plant", ("Zhuyao", "Linggou"), 50000, 0.15),
)

# Unit in which each plant's operator reports its flow, and significant digits written.
FLOW_UNIT = {
    "LS-WWTP-01": ("m3/d", 5),
    "LS-WWTP-02": ("m3/d", 5),
    "LS-WWTP-03": ("1e4 m3/d", 4),   # Chinese reports: 10^4 m3/day, e.g. 2.091
    "LS-WWTP-04": ("L/d", 4),        # e.g. 15020000
    "LS-WWTP-05": ("m3/d", 5),
}
M3_PER_UNIT = {"m3/d": 1.0, "1e4 m3/d": 1e4, "L/d": 1e-3}

# (id, name, venue_type, town)
VENUES = (
    ("LS-V-01", "Silver Crane Hotel", "hotel", "Heqiao"),
    ("LS-V-02", "Jade Lantern Hotel", "hotel", "Dongpan"),
    ("LS-V-03", "Harbour Pearl Hotel", "hotel", "Luoxi"),
    ("LS-V-04", "Plum Blossom Inn", "hotel", "Tanxi"),
    ("LS-V-05", "Golden Reed Hotel", "hotel", "Xiwan"),
    ("LS-V-06", "Cloudgate Business Hotel", "hotel", "Qingtai"),
    ("LS-V-07", "Star Echo KTV", "karaoke", "Yuanli"),
    ("LS-V-08", "Moonlight Melody KTV", "karaoke", "Beishan"),
    ("LS-V-09", "Red Phoenix Karaoke", "karaoke", "Meigang"),
    ("LS-V-10", "Velvet Voice KTV", "karaoke", "Xiwan"),
    ("LS-V-11", "Lucky Seven Karaoke", "karaoke", "Shilan"),
    ("LS-V-12", "Blue Lotus KTV", "karaoke", "Linggou"),
    ("LS-V-13", "Neon Tide Club", "club", "Dongpan"),
    ("LS-V-14", "Orbit Lounge", "club", "Beishan"),
    ("LS-V-15", "Midnight Koi Club", "club", "Heqiao"),
    ("LS-V-16", "Pulse 88 Club", "club", "Fenglin"),
    ("LS-V-17", "Ember Room", "club", "Luoxi"),
    ("LS-V-18", "Warm Spring Bath House", "bath_house", "Zhuyao"),
    ("LS-V-19", "Pine Mist Bathhouse", "bath_house", "Qingtai"),
    ("LS-V-20", "Crystal Steam Bath Centre", "bath_house", "Meigang"),
)

# --------------------------------------------------------------------------------------
# Plant model (consumption in mg/day/1000 inhabitants unless stated)
# --------------------------------------------------------------------------------------

PER_CAPITA_FLOW = (0.18, 0.25)      # m3/person/day, drawn once per plant (uniform)
FLOW_SIGMA_LOG = 0.05               # day-to-day flow variation (log-normal, ~ +-10%)

# Baseline consumption per plant, drawn once per plant and drug (uniform in the range).
BASELINE_RANGE = {
    "methamphetamine": (40.0, 105.0),
    "ketamine": (6.0, 30.0),
    "amphetamine": (1.0, 5.0),        # illicit amphetamine on top of the METH metabolite
    "mdma": (0.4, 1.3),               # low -> mostly below LOQ in influent (as in China)
    "benzoylecgonine": (0.4, 1.2),    # cocaine; low -> mostly below LOQ
    "morphine": (20.0, 60.0),
    "codeine": (10.0, 30.0),
}
# Plant-specific overrides of the ranges above.
BASELINE_RANGE_OVERRIDE = {
    # WWTP-01 hosts the dumping-like day: its ketamine must be high enough for
    # norketamine to be quantified on that day, low enough to keep the mean < 60.
    ("LS-WWTP-01", "ketamine"): (12.0, 18.0),
}
COTININE_PNL_RANGE = (300.0, 400.0)   # cotinine load, mg/day/1000 inh -> 800-3000 ng/L
COTININE_SIGMA_LOG = 0.10
# Province smoking rate written to sites.yaml: 2.5 cigarettes/person/day x 0.14 mg = 350 mg of
# cotinine per 1000 people and day, the middle of COTININE_PNL_RANGE, so the cotinine
# population method (config/example-population.yaml) lands within ~15% of the true population.
SMOKING_RATE = 2.5

# Hydrochemical population data: NH4-N per plant and sample day (water_quality.csv), from a
# per-capita NH4-N load drawn once per plant (g/person/day) and a day-to-day scatter.
NH4N_PER_CAPITA_RANGE = (7.0, 9.0)
NH4N_SIGMA_LOG = 0.08

DAILY_SIGMA_LOG = 0.15              # day-to-day consumption noise (each analyte its own)
WEEKEND_FACTOR = 1.15               # Fri, Sat, Sun, Mon samples (a Monday sample covers Sunday night)
WEEKEND_WEEKDAYS = (4, 5, 6, 0)     # datetime.weekday(): Fri, Sat, Sun, Mon
WEEKEND_DRUGS = ("methamphetamine", "amphetamine", "mdma", "ketamine", "benzoylecgonine")
SEASON_AMPLITUDE = 0.04             # +-4%, peak in Q3, for the recreational drugs above

AMP_FROM_METH = 0.09                # AMP/METH concentration ratio from METH metabolism
AMP_FROM_METH_SIGMA_LOG = 0.20
KET_NK_RATIO_PLANT = 5.4            # median ketamine/norketamine ratio in municipal influent
KET_NK_SIGMA_LOG_PLANT = 0.20

# --------------------------------------------------------------------------------------
# Venue model (grab samples, concentrations in ng/L directly)
# --------------------------------------------------------------------------------------

GRABS_PER_CAMPAIGN = (1, 3)         # each venue: 1-3 grab samples on days of the plant week
VENUE_CONC = {                      # (median ng/L, sigma_log)
    "methamphetamine": (30.0, 0.8),
    "ketamine": (60.0, 0.8),
    "amphetamine_illicit": (0.6, 1.0),
    "mdma": (0.8, 1.2),
    "benzoylecgonine": (0.6, 1.2),
    "morphine": (3.0, 0.8),
    "codeine": (2.0, 0.8),
    "cotinine": (1500.0, 0.5),
}
VENUE_CONC_CAP = 600.0              # ng/L cap on methamphetamine and ketamine (non-planted)
VENUE_COTININE_CLIP = (500.0, 5000.0)
KET_NK_RATIO_VENUE = 4.0            # median ketamine/norketamine ratio at venues
KET_NK_SIGMA_LOG_VENUE = 0.25

# --------------------------------------------------------------------------------------
# Planted signals
# --------------------------------------------------------------------------------------

# 1. Steady methamphetamine rise at LS-WWTP-02: campaign-mean consumption rises linearly
#    from TREND_START (2022Q1) with a slope that puts the watch threshold (200) exactly
#    half-way between 2024Q1 and 2024Q2, so 2024Q2-Q4 are "watch" with a ~3.8% margin.
TREND_SITE = "LS-WWTP-02"
TREND_START = 70.0
TREND_SLOPE = (200.0 - TREND_START) / 8.5     # per campaign -> 238.2 in 2024Q4

# 2. LS-WWTP-04 ketamine well above the alert threshold (200) in every campaign (Guangzhou
#    2017 reported 65-674 mg/day/1000, science.md §6).
KET_HIGH_SITE = "LS-WWTP-04"
KET_HIGH_LEVEL = 400.0                        # far enough above 200 that P(> 200) >= 0.95 with the default uncertainty
KET_HIGH_CAMPAIGN_SIGMA_LOG = 0.025            # small campaign-to-campaign variation

# 3. Dumping-like day at LS-WWTP-01: ketamine x10 on one day, norketamine unchanged.
DUMP_SITE = "LS-WWTP-01"
DUMP_CAMPAIGN = "2023Q3"
DUMP_DAY_INDEX = 4                             # 0-based day of the 7 (the 5th sample)
DUMP_FACTOR = 10.0

# 4. One-quarter ketamine spike at a karaoke venue (norketamine follows, ratio ~4).
SPIKE_SITE = "LS-V-09"
SPIKE_CAMPAIGN = "2024Q2"
SPIKE_KETAMINE_MEDIAN = 8000.0                 # ng/L
SPIKE_SIGMA_LOG = 0.15
SPIKE_GRABS = 3

# 5. A changed catchment: from 2024Q1 part of LS-WWTP-03's catchment drains elsewhere, so the
#    plant serves 60% of its census population; its flow, drug, cotinine and NH4-N loads all
#    fall with it (the concentrations do not change). With the census population its indices
#    drop by 40% although nobody uses less; the population check (census vs cotinine and NH4-N
#    estimates, calibrated on 2022) must flag this plant in 2024 and no other plant anywhere.
CATCHMENT_SITE = "LS-WWTP-03"
CATCHMENT_FROM = "2024Q1"
CATCHMENT_FACTOR = 0.6
POPULATION_CHECK_FACTOR = 1.3       # config/example-population.yaml

# For planted plant series the daily noise is centred within each campaign, so the
# campaign mean equals the planted level (up to rounding of the written numbers).

# --------------------------------------------------------------------------------------
# Default thresholds (config/) the data are designed against
# --------------------------------------------------------------------------------------

THRESHOLDS = {   # (drug, site kind) -> (watch, alert); plants: mg/day/1000, venues: ng/L
    ("methamphetamine", "wwtp"): (200.0, 300.0),
    ("ketamine", "wwtp"): (100.0, 200.0),
    ("methamphetamine", "venue"): (1500.0, 4000.0),
    ("ketamine", "venue"): (1500.0, 4000.0),
}
DUMPING_RATIO = 20.0                # possible_dumping: ketamine/norketamine > 20 (both detected)
MAX_NORMAL_RATIO = 15.0             # every other sample with both detected stays <= 15
MAX_METH_AMP_RATIO = 30.0           # METH/AMP on every sample (the rule fires above 40)
THRESHOLD_MARGIN = 0.03             # every campaign mean stays >= 3% away from every threshold
MAX_NORMAL_PLANT = {"methamphetamine": 140.0, "ketamine": 60.0}
MIN_CENSORED_SHARE = 0.70           # plants: mdma and benzoylecgonine rows censored
COTININE_PLANT_RANGE = (800.0, 3000.0)

BATCH_COLUMNS = ("batch_id", "sample_id", "site_id", "sample_date", "analyte", "value", "unit",
                 "qualifier", "lod", "loq", "method_id", "lab_id", "sample_type")
FLOW_COLUMNS = ("site_id", "date", "flow", "unit")
WATER_QUALITY_COLUMNS = ("site_id", "date", "parameter", "value", "unit")


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def stream(*keys):
    """Independent, reproducible random generator for a given tuple of keys."""
    words = [SEED] + [zlib.crc32(str(k).encode("utf-8")) for k in keys]
    return np.random.default_rng(words)


def round_sig(x, digits):
    """Round a positive float to `digits` significant digits, as an exact Decimal."""
    d = Decimal(repr(float(x)))
    exponent = d.adjusted() - (digits - 1)
    return d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)


def dec_str(d):
    """A Decimal in plain notation, never scientific (1.83E+3 -> '1830')."""
    return format(d, "f")


def campaigns():
    return [f"{y}Q{q}" for y in YEARS for q in (1, 2, 3, 4)]


def campaign_days(k, campaign):
    """Seven consecutive days in the middle month of the quarter.

    Campaign k (0-based) starts on weekday (3*k) mod 7 (0 = Monday), so the start
    weekday cycles through all seven days; the first such weekday on or after a
    randomly drawn day of the month (5..12) is used.
    """
    year, q = int(campaign[:4]), int(campaign[5])
    month = 3 * q - 1
    earliest = int(stream("campaign-start", campaign).integers(5, 13))
    start = dt.date(year, month, earliest)
    target = (3 * k) % 7
    start += dt.timedelta(days=(target - start.weekday()) % 7)
    return [start + dt.timedelta(days=i) for i in range(DAYS_PER_CAMPAIGN)]


def season_factor(campaign):
    q = int(campaign[5])
    return 1.0 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (q - 3) / 4.0)


def weekend(day):
    return WEEKEND_FACTOR if day.weekday() in WEEKEND_WEEKDAYS else 1.0


def report(conc_ng_l, analyte, unit):
    """Censor and format one concentration: returns (value, qualifier, lod, loq) strings."""
    lod_s, loq_s = LIMITS_NG_L[analyte]
    lod, loq = Decimal(lod_s), Decimal(loq_s)
    v = round_sig(conc_ng_l, VALUE_SIG_DIGITS)
    if v < lod:
        value, qual = None, "<LOD"
    elif v < loq:
        value, qual = None, "<LOQ"
    else:
        value, qual = v, ""
    scale = -3 if unit == "ug/L" else 0            # ng/L -> ug/L is exact in decimal

    def conv(d):
        return dec_str(d.scaleb(scale))

    return ("" if value is None else conv(value)), qual, conv(lod), conv(loq)


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------

def plant_parameters():
    """Per-plant constants drawn once: per-capita flow and baseline consumptions."""
    params = {}
    for site_id, _name, _towns, pop, _rsd in PLANTS:
        rng = stream("plant-parameters", site_id)
        p = {"population": pop, "q_pc": float(rng.uniform(*PER_CAPITA_FLOW))}
        for drug in BASELINE_RANGE:
            lo, hi = BASELINE_RANGE_OVERRIDE.get((site_id, drug), BASELINE_RANGE[drug])
            p[drug] = float(rng.uniform(lo, hi))
        p["cotinine_pnl"] = float(rng.uniform(*COTININE_PNL_RANGE))
        p["nh4n_pc"] = float(rng.uniform(*NH4N_PER_CAPITA_RANGE))   # drawn last: earlier draws unchanged
        params[site_id] = p
    return params


def planted_level(site_id, drug, k, campaign):
    """Campaign-mean consumption of a planted plant series, or None if not planted."""
    if site_id == TREND_SITE and drug == "methamphetamine":
        return TREND_START + TREND_SLOPE * k
    if site_id == KET_HIGH_SITE and drug == "ketamine":
        z = stream("ket-high-level", campaign).standard_normal()
        return KET_HIGH_LEVEL * float(np.exp(KET_HIGH_CAMPAIGN_SIGMA_LOG * z))
    return None


def daily_consumption(site_id, drug, k, campaign, days, base):
    """Seven daily consumptions (mg/day/1000) for one plant, drug and campaign."""
    rng = stream("daily-consumption", site_id, drug, campaign)
    noise = np.exp(DAILY_SIGMA_LOG * rng.standard_normal(len(days)))
    shape = noise * np.array([weekend(d) if drug in WEEKEND_DRUGS else 1.0 for d in days])
    level = planted_level(site_id, drug, k, campaign)
    if level is not None:
        return level * shape / shape.mean()          # centred: campaign mean == level
    season = season_factor(campaign) if drug in WEEKEND_DRUGS else 1.0
    return base * season * shape


def true_population(site_id, census, campaign):
    """The population a plant really serves in a campaign (the census, except planted signal 5)."""
    if site_id == CATCHMENT_SITE and campaign >= CATCHMENT_FROM:
        return census * CATCHMENT_FACTOR
    return census


def generate_plants(params, batches, flows, water_quality):
    for k, campaign in enumerate(campaigns()):
        days = campaign_days(k, campaign)
        for site_id, _name, _towns, census, _rsd in PLANTS:
            p = params[site_id]
            pop = true_population(site_id, census, campaign)
            rng = stream("plant-day", site_id, campaign)
            q_true = pop * p["q_pc"] * np.exp(FLOW_SIGMA_LOG * rng.standard_normal(len(days)))
            unit, sig = FLOW_UNIT[site_id]
            for day, q in zip(days, q_true):
                flows.append((site_id, day.isoformat(),
                              dec_str(round_sig(q / M3_PER_UNIT[unit], sig)), unit))
            p_over_q = pop / q_true                     # C = cons / CF * P / Q
            nh4n = p["nh4n_pc"] * p_over_q * np.exp(    # g/person/day x P / Q m3/day = mg/L
                NH4N_SIGMA_LOG * stream("nh4n", site_id, campaign).standard_normal(len(days)))
            for day, c in zip(days, nh4n):
                water_quality.append((site_id, day.isoformat(), "NH4-N", dec_str(round_sig(c, 3)), "mg/L"))
            cons = {d: daily_consumption(site_id, d, k, campaign, days, p[d]) for d in CF}
            conc = {d: cons[d] / CF[d] * p_over_q for d in CF}
            # amphetamine = METH metabolite + illicit amphetamine
            amp_ratio = AMP_FROM_METH * np.exp(AMP_FROM_METH_SIGMA_LOG * rng.standard_normal(len(days)))
            conc["amphetamine"] = amp_ratio * conc["methamphetamine"] + conc["amphetamine"]
            ratio = KET_NK_RATIO_PLANT * np.exp(KET_NK_SIGMA_LOG_PLANT * rng.standard_normal(len(days)))
            conc["norketamine"] = conc["ketamine"] / ratio
            cot = p["cotinine_pnl"] * p_over_q * np.exp(COTININE_SIGMA_LOG * rng.standard_normal(len(days)))
            conc["cotinine"] = cot
            if site_id == DUMP_SITE and campaign == DUMP_CAMPAIGN:
                conc["ketamine"] = conc["ketamine"].copy()
                conc["ketamine"][DUMP_DAY_INDEX] *= DUMP_FACTOR   # norketamine unchanged
            short = site_id.replace("LS-", "").replace("-", "")   # WWTP01
            for i, day in enumerate(days):
                sample_id = f"LS-{campaign}-{short}-D{i + 1}"
                for analyte in ANALYTES:
                    batches[campaign].append(
                        sample_row(campaign, sample_id, site_id, day, analyte,
                                   conc[analyte][i], "composite_24h"))


def generate_venues(batches):
    for k, campaign in enumerate(campaigns()):
        days = campaign_days(k, campaign)
        for site_id, _name, _vtype, _town in VENUES:
            rng = stream("venue", site_id, campaign)
            spike = site_id == SPIKE_SITE and campaign == SPIKE_CAMPAIGN
            n = SPIKE_GRABS if spike else int(rng.integers(GRABS_PER_CAMPAIGN[0], GRABS_PER_CAMPAIGN[1] + 1))
            idx = sorted(int(i) for i in rng.choice(len(days), size=n, replace=False))

            def draw(key):
                median, sigma = VENUE_CONC[key]
                return median * np.exp(sigma * rng.standard_normal(n))

            conc = {
                "methamphetamine": np.minimum(draw("methamphetamine"), VENUE_CONC_CAP),
                "ketamine": np.minimum(draw("ketamine"), VENUE_CONC_CAP),
                "mdma": draw("mdma"),
                "benzoylecgonine": draw("benzoylecgonine"),
                "morphine": draw("morphine"),
                "codeine": draw("codeine"),
                "cotinine": np.clip(draw("cotinine"), *VENUE_COTININE_CLIP),
            }
            amp_ratio = AMP_FROM_METH * np.exp(AMP_FROM_METH_SIGMA_LOG * rng.standard_normal(n))
            conc["amphetamine"] = amp_ratio * conc["methamphetamine"] + draw("amphetamine_illicit")
            if spike:
                conc["ketamine"] = SPIKE_KETAMINE_MEDIAN * np.exp(SPIKE_SIGMA_LOG * rng.standard_normal(n))
            ratio = KET_NK_RATIO_VENUE * np.exp(KET_NK_SIGMA_LOG_VENUE * rng.standard_normal(n))
            conc["norketamine"] = conc["ketamine"] / ratio
            short = site_id.replace("LS-", "").replace("-", "")   # V07
            for g, i in enumerate(idx):
                sample_id = f"LS-{campaign}-{short}-G{g + 1}"
                for analyte in ANALYTES:
                    batches[campaign].append(
                        sample_row(campaign, sample_id, site_id, days[i], analyte,
                                   conc[analyte][g], "grab"))


def sample_row(campaign, sample_id, site_id, day, analyte, conc_ng_l, sample_type):
    unit = "ug/L" if campaign == UG_PER_L_CAMPAIGN else "ng/L"
    value, qual, lod, loq = report(conc_ng_l, analyte, unit)
    method = METHOD_NEW if campaign >= METHOD_SWITCH else METHOD_OLD
    return (f"LS-{campaign}", sample_id, site_id, day.isoformat(), analyte, value, unit,
            qual, lod, loq, method, LAB_ID, sample_type)


# --------------------------------------------------------------------------------------
# Hand-designed bad batch. Line numbers count the header as line 1.
# --------------------------------------------------------------------------------------

def bad_batch_rows():
    b = "LS-BAD-1"
    m, lab = METHOD_OLD, LAB_ID
    s1, s2, s3 = "LS-BAD-1-WWTP01-D1", "LS-BAD-1-WWTP02-D1", "LS-BAD-1-V09-G1"
    c24, grab = "composite_24h", "grab"
    return [
        # line 2: valid
        [b, s1, "LS-WWTP-01", "2023-02-14", "methamphetamine", "172", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 3: valid
        [b, s1, "LS-WWTP-01", "2023-02-14", "ketamine", "14.2", "ng/L", "", "0.3", "1.0", m, lab, c24],
        # line 4: ERROR negative value
        [b, s1, "LS-WWTP-01", "2023-02-14", "norketamine", "-3.2", "ng/L", "", "0.3", "1.0", m, lab, c24],
        # line 5: valid, censored shorthand '<1.5' (= <LOQ)
        [b, s1, "LS-WWTP-01", "2023-02-14", "amphetamine", "<1.5", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 6: valid, 'ND' (= <LOD)
        [b, s1, "LS-WWTP-01", "2023-02-14", "mdma", "ND", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 7: ERROR NaN value
        [b, s1, "LS-WWTP-01", "2023-02-14", "benzoylecgonine", "NaN", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 8: ERROR unknown analyte
        [b, s1, "LS-WWTP-01", "2023-02-14", "heroinx", "4.1", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 9: valid
        [b, s1, "LS-WWTP-01", "2023-02-14", "morphine", "61.3", "ng/L", "", "1", "3", m, lab, c24],
        # line 10: ERROR duplicate (sample_id, analyte) of line 2
        [b, s1, "LS-WWTP-01", "2023-02-14", "methamphetamine", "168", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 11: ERROR unknown site id
        [b, "LS-BAD-1-WWTP99-D1", "LS-WWTP-99", "2023-02-14", "methamphetamine", "150", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 12: valid
        [b, s2, "LS-WWTP-02", "2023-02-14", "methamphetamine", "188", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 13: ERROR loq < lod
        [b, s2, "LS-WWTP-02", "2023-02-14", "ketamine", "20.4", "ng/L", "", "1.5", "0.5", m, lab, c24],
        # line 14: ERROR date that does not exist
        [b, "LS-BAD-1-WWTP02-D2", "LS-WWTP-02", "2023-02-30", "methamphetamine", "176", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 15: ERROR unknown unit
        [b, s2, "LS-WWTP-02", "2023-02-14", "codeine", "30.5", "mg/m3", "", "1", "3", m, lab, c24],
        # line 16: ERROR value not a number (decimal comma; the csv module quotes it)
        [b, s2, "LS-WWTP-02", "2023-02-14", "morphine", "12,5", "ng/L", "", "1", "3", m, lab, c24],
        # line 17: ERROR unknown qualifier
        [b, s2, "LS-WWTP-02", "2023-02-14", "mdma", "", "ng/L", "<<LOQ", "0.5", "1.5", m, lab, c24],
        # line 18: ERROR detected value below its LOD
        [b, s2, "LS-WWTP-02", "2023-02-14", "benzoylecgonine", "0.2", "ng/L", "", "0.5", "1.5", m, lab, c24],
        # line 19: valid
        [b, s3, "LS-V-09", "2023-02-15", "ketamine", "85.2", "ng/L", "", "0.3", "1.0", m, lab, grab],
        # line 20: ERROR too few fields (method_id, lab_id, sample_type missing)
        [b, s3, "LS-V-09", "2023-02-15", "norketamine", "21.0", "ng/L", "", "0.3", "1.0"],
        # line 21: valid
        [b, s3, "LS-V-09", "2023-02-15", "cotinine", "1830", "ng/L", "", "5", "15", m, lab, grab],
    ]


# --------------------------------------------------------------------------------------
# YAML writers (hand-written; the values are simple scalars)
# --------------------------------------------------------------------------------------

def sites_yaml():
    lines = [
        "# Sites of the fictional city of Lanshui (all names invented).",
        "# Generated by data/example/generate.py -- do not edit by hand.",
        f"city: {CITY}",
        f"smoking_rate: {SMOKING_RATE}   # cigarettes per resident and day (province); cotinine population method",
        "sites:",
    ]
    for site_id, name, towns, pop, rsd in PLANTS:
        lines += [
            f"  - id: {site_id}",
            f"    name: {name}",
            "    kind: wwtp",
            f"    district: {DISTRICT_OF_TOWN[towns[0]]}",
            f"    towns: [{', '.join(towns)}]",
            f"    population: {pop}",
            f"    population_rsd: {rsd:.2f}",
            "    population_method: census",
        ]
    for site_id, name, vtype, town in VENUES:
        lines += [
            f"  - id: {site_id}",
            f"    name: {name}",
            "    kind: venue",
            f"    venue_type: {vtype}",
            f"    district: {DISTRICT_OF_TOWN[town]}",
            f"    towns: [{town}]",
        ]
    return "\n".join(lines) + "\n"


def planted_flags(dump_date):
    """The complete, designed set of flags: (site, drug, campaign, rule, level, date)."""
    flags = []
    for k, c in enumerate(campaigns()):
        if TREND_START + TREND_SLOPE * k >= THRESHOLDS[("methamphetamine", "wwtp")][0]:
            flags.append((TREND_SITE, "methamphetamine", c, "threshold", "watch", None))
    for c in campaigns():
        flags.append((KET_HIGH_SITE, "ketamine", c, "threshold", "alert", None))
    flags.append((SPIKE_SITE, "ketamine", SPIKE_CAMPAIGN, "threshold", "alert", None))
    flags.append((DUMP_SITE, "ketamine", DUMP_CAMPAIGN, "possible_dumping", "watch", dump_date))
    return flags


def expected_yaml(flags, values):
    lines = [
        "# Planted signals: the complete set of flags the default thresholds must raise on this data.",
        "# Generated by data/example/generate.py -- do not edit by hand.",
        "# Thresholds: campaign mean (plants: consumption mg/day/1000 inh over the 7 daily samples;",
        "# venues: concentration ng/L over the grab samples; censored values -> LOQ/2).",
        "#   methamphetamine wwtp watch 200 alert 300; ketamine wwtp watch 100 alert 200;",
        "#   methamphetamine/ketamine venue watch 1500 alert 4000 ng/L;",
        "#   possible_dumping: ketamine/norketamine ratio on one sample > 20, both detected.",
        "# One flag per site x drug x campaign, at the highest level reached.",
        "# The trailing comment gives the value computed from the written files.",
        "flags:",
    ]
    for site, drug, camp, rule, level, date in flags:
        item = f"{{site: {site}, drug: {drug}, campaign: {camp}, rule: {rule}, level: {level}"
        if date is not None:
            item += f', date: "{date}"'
        item += "}"
        lines.append(f"  - {item}  # {values[(site, drug, camp, rule)]}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Verification: recompute from the written files what the engine will compute
# --------------------------------------------------------------------------------------

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def verify():
    kind = {p[0]: "wwtp" for p in PLANTS}
    kind.update({v[0]: "venue" for v in VENUES})
    pop = {p[0]: p[3] for p in PLANTS}
    flow = {}
    for r in read_csv(os.path.join(OUT_DIR, "flows.csv")):
        flow[(r["site_id"], r["date"])] = float(r["flow"]) * M3_PER_UNIT[r["unit"]]

    daily = {}        # (site, drug, campaign) -> list of per-sample values
    samples = {}      # sample_id -> {analyte: (value_ng_l or None, qualifier)}, plus date/site
    censored = {"mdma": [0, 0], "benzoylecgonine": [0, 0]}
    for campaign in campaigns():
        rows = read_csv(os.path.join(OUT_DIR, "batches", f"{campaign}.csv"))
        assert all(r["batch_id"] == f"LS-{campaign}" for r in rows)
        keys = [(r["sample_id"], r["analyte"]) for r in rows]
        assert len(keys) == len(set(keys)), f"duplicate (sample, analyte) in {campaign}"
        for r in rows:
            scale = 1000.0 if r["unit"] == "ug/L" else 1.0
            lod, loq = float(r["lod"]) * scale, float(r["loq"]) * scale
            if r["qualifier"]:
                assert r["value"] == "" and r["qualifier"] in ("<LOD", "<LOQ")
                conc, detected = loq / 2.0, False
            else:
                conc, detected = float(r["value"]) * scale, True
                assert conc >= loq, r
            s = samples.setdefault(r["sample_id"], {"site": r["site_id"], "date": r["sample_date"],
                                                   "campaign": campaign})
            s[r["analyte"]] = (conc if detected else None)
            site, drug = r["site_id"], r["analyte"]
            if kind[site] == "wwtp":
                if drug in censored:
                    censored[drug][0] += not detected
                    censored[drug][1] += 1
                if drug in ("methamphetamine", "ketamine"):
                    assert detected, f"plant {drug} censored: {r}"
                if drug == "cotinine":
                    assert detected and COTININE_PLANT_RANGE[0] <= conc <= COTININE_PLANT_RANGE[1], r
                if drug in CF:
                    q = flow[(site, r["sample_date"])]
                    cons = conc * q * 1e-3 / pop[site] * 1000.0 * CF[drug]
                    daily.setdefault((site, drug, campaign), []).append(cons)
            else:
                if drug in ("methamphetamine", "ketamine"):
                    daily.setdefault((site, drug, campaign), []).append(conc)

    found, values, means = set(), {}, {}
    for (site, drug, campaign), vals in daily.items():
        if drug not in ("methamphetamine", "ketamine"):
            continue
        if kind[site] == "wwtp":
            assert len(vals) == DAYS_PER_CAMPAIGN
        mean = sum(vals) / len(vals)
        means[(site, drug, campaign)] = mean
        watch, alert = THRESHOLDS[(drug, kind[site])]
        for t in (watch, alert):
            assert abs(mean - t) / t >= THRESHOLD_MARGIN, \
                f"{site} {drug} {campaign}: mean {mean:.2f} within {THRESHOLD_MARGIN:.0%} of {t}"
        level = "alert" if mean >= alert else "watch" if mean >= watch else None
        if level:
            found.add((site, drug, campaign, "threshold", level, None))
            unit = "mg/day/1000 inh" if kind[site] == "wwtp" else "ng/L"
            values[(site, drug, campaign, "threshold")] = f"campaign mean {mean:.1f} {unit}"

    dump_dates = []
    for sid, s in samples.items():
        k, nk = s.get("ketamine"), s.get("norketamine")
        if k is None or nk is None:
            continue
        ratio = k / nk
        if ratio > DUMPING_RATIO:
            found.add((s["site"], "ketamine", s["campaign"], "possible_dumping", "watch", s["date"]))
            values[(s["site"], "ketamine", s["campaign"], "possible_dumping")] = (
                f"ketamine {k:g} / norketamine {nk:g} ng/L = ratio {ratio:.1f}, sample {sid}")
            dump_dates.append(s["date"])
        else:
            assert ratio <= MAX_NORMAL_RATIO, f"{sid}: ketamine/norketamine {ratio:.1f}"

    # Non-planted plant series stay well below the thresholds.
    planted_series = {(TREND_SITE, "methamphetamine"), (KET_HIGH_SITE, "ketamine")}
    for (site, drug, campaign), mean in means.items():
        if kind[site] == "wwtp" and (site, drug) not in planted_series:
            assert mean <= MAX_NORMAL_PLANT[drug], f"{site} {drug} {campaign}: {mean:.1f}"
        if kind[site] == "venue" and not (site == SPIKE_SITE and campaign == SPIKE_CAMPAIGN
                                          and drug == "ketamine"):
            assert mean <= VENUE_CONC_CAP, f"{site} {drug} {campaign}: {mean:.1f}"
    assert means[(DUMP_SITE, "ketamine", DUMP_CAMPAIGN)] <= MAX_NORMAL_PLANT["ketamine"]

    for drug, (n_cens, n) in censored.items():
        assert n_cens / n >= MIN_CENSORED_SHARE, f"plant {drug}: only {n_cens}/{n} censored"

    # The METH/AMP dumping rule (config/thresholds.yaml, > 40; metabolism gives 4-20) must not
    # fire anywhere: every sample with both detected stays below 30.
    for sid, s in samples.items():
        m, a = s.get("methamphetamine"), s.get("amphetamine")
        if m is not None and a is not None:
            assert m / a <= MAX_METH_AMP_RATIO, f"{sid}: methamphetamine/amphetamine {m / a:.1f}"

    assert len(dump_dates) == 1, dump_dates
    expected = set(planted_flags(dump_dates[0]))
    assert found == expected, (f"unplanted: {sorted(found - expected, key=str)}; "
                               f"missing: {sorted(expected - found, key=str)}")
    return dump_dates[0], values, means, censored


# --------------------------------------------------------------------------------------
# Detector flags the default detectors (config/thresholds.yaml) must raise, derived from the
# planted design rather than from running the engine:
# - trend (Mann-Kendall, alert p < 0.05, at least 5 previous campaigns, rise >= 10%/year) on the
#   LS-WWTP-02 methamphetamine rise: the planted campaign means rise strictly, so from the 6th
#   campaign on S = n(n-1)/2; at n = 6, var(S) = 6*5*17/18 = 28.33, Z = (15 - 1)/5.32 = 2.63,
#   p = 0.0085 < 0.05 -> alert in every campaign from 2023Q2; the rise is ~+45%/year.
# - rolling_baseline (robust z on ln values over the previous 8 campaigns) on the venue spike,
#   followed on the screening index (ketamine per cotinine): ~8000 ng/L against a baseline of
#   ~100-200 ng/L-equivalent is ln(~40) = 3.7 floored-SD (0.8) units = z ~4.6 > alert_z 4.2.
# - rolling_baseline on the dumping plant's ketamine in the dumping campaign: one day at 10x
#   lifts the campaign mean to ~2x the baseline, z far above 4 with the plant's small MAD.
DETECTOR_FLAGS = (
    [(TREND_SITE, "methamphetamine", c, "trend", "alert") for c in campaigns()[5:]]
    + [(SPIKE_SITE, "ketamine", SPIKE_CAMPAIGN, "rolling_baseline", "alert"),
       (DUMP_SITE, "ketamine", DUMP_CAMPAIGN, "rolling_baseline", "alert")]
)


def verify_population_check():
    """The population check of config/example-population.yaml, recomputed from the written files
    with the engine's formulas (population.hpp): NH4-N calibrated per plant on 2022 (geometric mean
    of load/census, rsd from the day-to-day scatter), cotinine = load / (SMOKING_RATE x 0.14 mg)
    (rsd 0.30, models/population/constants.yaml), each the geometric mean of the campaign's days,
    combined in log space with weights 1/ln(1 + rsd^2); ratio = combination / census. Returns
    {(site, campaign): ratio}; asserts that exactly planted signal 5 departs beyond the factor,
    with a margin."""
    census = {p[0]: p[3] for p in PLANTS}
    flow = {(r["site_id"], r["date"]): float(r["flow"]) * M3_PER_UNIT[r["unit"]]
            for r in read_csv(os.path.join(OUT_DIR, "flows.csv"))}
    camp_of = {}
    nh4n, cot = {}, {}     # (site, campaign) -> [ln population]
    calib = {}             # site -> [ln(g/person/day)]
    for r in read_csv(os.path.join(OUT_DIR, "water_quality.csv")):
        load_g = float(r["value"]) * flow[(r["site_id"], r["date"])]      # mg/L x m3/day = g/day
        if r["date"] <= "2022-12-31":
            calib.setdefault(r["site_id"], []).append(math.log(load_g / census[r["site_id"]]))
    k = {}
    for site, v in calib.items():
        mean = sum(v) / len(v)
        sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
        k[site] = (math.exp(mean), math.sqrt(math.expm1(sd * sd)))
    for r in read_csv(os.path.join(OUT_DIR, "water_quality.csv")):
        load_g = float(r["value"]) * flow[(r["site_id"], r["date"])]
        key = (r["site_id"], campaign_label(r["date"]))
        nh4n.setdefault(key, []).append(math.log(load_g / k[r["site_id"]][0]))
    for campaign in campaigns():
        for r in read_csv(os.path.join(OUT_DIR, "batches", f"{campaign}.csv")):
            if r["analyte"] == "cotinine" and r["site_id"] in census:
                ng_per_l = float(r["value"]) * (1000.0 if r["unit"] == "ug/L" else 1.0)
                load_mg = ng_per_l * flow[(r["site_id"], r["sample_date"])] * 1e-3
                cot.setdefault((r["site_id"], campaign), []).append(math.log(load_mg / (SMOKING_RATE * 0.14)))
    ratios = {}
    for key in sorted(nh4n):
        site = key[0]
        parts = [(sum(nh4n[key]) / len(nh4n[key]), k[site][1]), (sum(cot[key]) / len(cot[key]), 0.30)]
        w = [1.0 / math.log1p(rsd * rsd) for _, rsd in parts]
        ln_p = sum(wi * lp for wi, (lp, _) in zip(w, parts)) / sum(w)
        ratios[key] = math.exp(ln_p) / census[site]
    departs = {key for key, r in ratios.items() if r > POPULATION_CHECK_FACTOR or r < 1 / POPULATION_CHECK_FACTOR}
    planted = {(CATCHMENT_SITE, c) for c in campaigns() if c >= CATCHMENT_FROM}
    assert departs == planted, f"population check: {sorted(departs)} != {sorted(planted)}"
    for key, r in ratios.items():
        lo, hi = 1 / POPULATION_CHECK_FACTOR, POPULATION_CHECK_FACTOR
        margin = min(abs(math.log(r / lo)), abs(math.log(r / hi)))
        assert margin >= 0.05, f"population check {key}: ratio {r:.3f} within 5% of a limit"
    return ratios


def campaign_label(iso_date):
    y, m = int(iso_date[:4]), int(iso_date[5:7])
    return f"{y}Q{(m - 1) // 3 + 1}"


def expected_population_yaml(ratios):
    lines = ["# Population check of config/example-population.yaml (estimate without the census / census,",
             f"# limit {POPULATION_CHECK_FACTOR} either way; derivation in generate.py, verify_population_check).",
             "population_check:"]
    for (site, campaign), r in sorted(ratios.items()):
        if r > POPULATION_CHECK_FACTOR or r < 1 / POPULATION_CHECK_FACTOR:
            lines.append(f"  - {{site: {site}, campaign: {campaign}}}  # ratio {r:.3f}")
    return "\n".join(lines) + "\n"


def expected_detector_yaml(means):
    lines = ["# Detector flags of the default detectors (derivation in generate.py, DETECTOR_FLAGS).",
             "detector_flags:"]
    for site, drug, campaign, rule, level in DETECTOR_FLAGS:
        m = means.get((site, drug, campaign))
        unit = "ng/L" if site.startswith("LS-V") else "mg/day/1000 inh"
        lines.append(f"  - {{site: {site}, drug: {drug}, campaign: {campaign}, rule: {rule}, level: {level}}}"
                     + (f"  # campaign mean {m:.1f} {unit}" if m is not None else ""))
    return "\n".join(lines) + "\n"


def main():
    params = plant_parameters()
    batches = {c: [] for c in campaigns()}
    flows, water_quality = [], []
    generate_plants(params, batches, flows, water_quality)
    generate_venues(batches)

    with open(os.path.join(OUT_DIR, "sites.yaml"), "w", newline="", encoding="utf-8") as fh:
        fh.write(sites_yaml())
    write_csv(os.path.join(OUT_DIR, "flows.csv"), FLOW_COLUMNS, flows)
    write_csv(os.path.join(OUT_DIR, "water_quality.csv"), WATER_QUALITY_COLUMNS, water_quality)
    for campaign, rows in batches.items():
        write_csv(os.path.join(OUT_DIR, "batches", f"{campaign}.csv"), BATCH_COLUMNS, rows)
    write_csv(os.path.join(OUT_DIR, "bad_batch.csv"), BATCH_COLUMNS, bad_batch_rows())

    dump_date, values, means, censored = verify()
    with open(os.path.join(OUT_DIR, "expected_signals.yaml"), "w", newline="", encoding="utf-8") as fh:
        fh.write(expected_yaml(planted_flags(dump_date), values))
        fh.write(expected_detector_yaml(means))
        ratios = verify_population_check()
        fh.write(expected_population_yaml(ratios))

    # Summary on stdout (not part of the data).
    print(f"flows.csv: {len(flows)} rows")
    for campaign, rows in batches.items():
        print(f"batches/{campaign}.csv: {len(rows)} rows, "
              f"{len({r[1] for r in rows})} samples, days {rows[0][3]}..")
    for (site, drug, camp, rule), text in sorted(values.items()):
        print(f"planted {site} {drug} {camp} {rule}: {text}")
    print(f"{TREND_SITE} methamphetamine campaign means: " + ", ".join(
        f"{c} {means[(TREND_SITE, 'methamphetamine', c)]:.1f}" for c in campaigns()))
    print(f"{DUMP_SITE} ketamine {DUMP_CAMPAIGN} campaign mean: "
          f"{means[(DUMP_SITE, 'ketamine', DUMP_CAMPAIGN)]:.1f}")
    for drug in ("methamphetamine", "ketamine"):
        others = [m for (s, d, c), m in means.items() if d == drug and s.startswith("LS-WWTP")
                  and (s, d) not in {(TREND_SITE, "methamphetamine"), (KET_HIGH_SITE, "ketamine")}]
        print(f"max non-planted plant {drug} campaign mean: {max(others):.1f}")
        vmax = max(m for (s, d, c), m in means.items() if d == drug and s.startswith("LS-V")
                   and not (s == SPIKE_SITE and c == SPIKE_CAMPAIGN and d == "ketamine"))
        print(f"max non-planted venue {drug} campaign mean: {vmax:.1f} ng/L")
    for drug, (n_cens, n) in censored.items():
        print(f"plant {drug} censored: {n_cens}/{n} = {n_cens / n:.1%}")
    print(f"water_quality.csv: {len(water_quality)} rows")
    print("population ratio (estimate / census) range, other plant-campaigns: "
          f"{min(r for k, r in ratios.items() if k[0] != CATCHMENT_SITE or k[1] < CATCHMENT_FROM):.3f}-"
          f"{max(r for k, r in ratios.items() if k[0] != CATCHMENT_SITE or k[1] < CATCHMENT_FROM):.3f}")


if __name__ == "__main__":
    main()
