"""Build inputs/trilateral_2025.xlsx and its source legend docs/sources.md from published figures.

Run: python inputs/build_trilateral_2025.py
Every number goes through `fig(value, status, key, note)` so that the workbook's
`sources` sheet lists each one as sourced, derived (D, with its arithmetic) or
assumed (A, with its reason). Keys refer to the legend this script writes to docs/sources.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

URLS = {
    "U1": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf",
    "U2": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-gallium.pdf",
    "U3": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-germanium.pdf",
    "U4": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-graphite.pdf",
    "U5": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-antimony.pdf",
    "U6": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-tungsten.pdf",
    "U7": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-cobalt.pdf",
    "U8": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-lithium.pdf",
    "U9": "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-nickel.pdf",
    "I3": "https://rareearthexchanges.com/news/the-mineral-chessboard-iea-sounds-alarm-as-china-tightens-its-grip",
    "I1s": "https://bbapi.viigoo.eu.org/en/square/post/24983213703562",
    "I5": "https://prod.iea.org/policies/17940-the-national-program-for-metal-nonferrous-and-rare-stockpiling",
    "I6": "https://supplychainreport.org/global-energy-agency-explores-warehousing-challenges-for-strategic-minerals-stockpiles",
    "P1": "https://min-met.com/blog/china-stops-export-of-critical-minerals-to-us",
    "C2": "https://sharecafe.com.au/2025/04/16/chinas-rare-earth-restrictions-threaten-us-defence",
    "R4": "https://rawmaterials.net/chinese-antimony-exports-plummet-in-first-half-of-the-year",
    "R5": "https://wtvbam.com/?p=685019",
    "B1": "https://www.greencarcongress.com/2024/06/20240620-bnch.html",
    "A1": "https://gmteight.com/latest/detail/282683",
    "A2": "https://www.argusmedia.com/es/news-and-insights/latest-market-news/2613344-ge-buyers-seek-new-supply-alternatives-as-demand-rises",
    "A3": "https://www.argusmedia.com/es/news-and-insights/latest-market-news/2571158-record-high-eu-antimony-prices-in-uncharted-territory",
    "A4": "https://www.argusmedia.com/en/news-and-insights/latest-market-news/2702731-eu-antimony-softens-slightly-on-improved-availability",
    "F1": "https://www.fastmarkets.com/insights/a-make-or-break-year-for-non-chinese-gallium-market-2024-preview/",
    "F2": "https://www.fastmarkets.com/insights/chinese-tungsten-product-prices-surge-2025-export-controls-fresh-demand",
    "F3": "https://www.fastmarkets.com/insights/chinas-graphite-exports-plunge-in-december-after-introduction-of-export-controls",
    "F6": "https://www.fastmarkets.com/?p=57207",
    "F5": "https://www.fastmarkets.com/insights/cobalt-market-outlook-2025-drc-quota-system/",
    "F7": "https://www.fastmarkets.com/insights/china-suspends-export-prohibition-on-superhard-materials-us",
    "G2": "https://www.todayonline.com/world/china-exported-no-germanium-gallium-aug-curbs-went-effect-2259151",
    "G3": "https://rawmaterials.net/gallium-and-germanium-exports-rise-remain-below-last-years-level/",
    "GR1": "https://seemining.news/chinas-graphite-exports-plummet-in-early-2024-amid-export-controls",
    "BT1": "https://www.businesstimes.com.sg/international/china-suspends-ban-exports-gallium-germanium-antimony-us",
    "G4": "https://rohstoff.net/2024-germaniumexport-geht-zurueck-gallium-legt-zu/",
    "GR2": "https://bestmag.co.uk/europe-has-had-no-shipments-of-antimony-from-china-in-five-months",
    "JP2": "https://allthe.news/yo/articles/china-curbs-rare-earth-exports-to-japanese-companies-after-dual-use-ban",
    "N4": "https://business.financialpost.com/pmn/business-pmn/indonesia-announces-nickel-ore-export-ban-starting-in-january-2020-2",
    "N5": "https://roskill.com/news/nickel-indonesia-re-imposes-ban-on-nickel-ore-exports/",
    "R2": "https://xm.com/au/research/markets/commodities/reuters/chinas-oct-antimony-shipments-plunge-on-latest-export-limits-53972081",
    "R3": "https://energynews.oedigital.com/mineral-resources/2025/01/20/chinas-dec-antimony-exports-recover-delivery-to-us-stalls",
    "RE1": "https://rawmaterials.net/rare-earths-chinese-exports-of-terbium-and-dysprosium-plummet-to-zero-in-may/",
    "H1": "http://www.japanmetalbulletin.com/?p=3957",
    "H2": "https://www.lonelyjapan.com/297274",
    "J2": "https://eternal-element.com/show.asp?id=626",
    "J3": "https://metalnomist.com/2024/08/japans-growing-reliance-on-china-for.html",
    "JP1": "https://www.geopolitechs.org/p/china-plans-to-reimpose-rare-earth",
    "K1": "https://news.kbs.co.kr/news/pc/view/view.do?ncd=8228187",
    "K4": "https://biz.chosun.com/en/en-policy/2025/10/05/5BL4MZW4UNHCBIMMAIRX6KKTJA/?outputType=amp",
    "K7": "https://m-en.yna.co.kr/view/AEN20230227003300320",
    "K9": "https://cm.asiae.co.kr/en/article/2022101309061677957",
    "K10": "https://cm.asiae.co.kr/en/article/2024050311315651468",
    "K11": "https://www.adamasintel.com/?p=14959",
    "E1": "https://ec.europa.eu/eurostat/statistics-explained/index.php?oldid=655171&title=International_trade_in_critical_raw_materials",
    "E3": "https://fuelsandlubes.com/fli-article/eus-critical-raw-materials-act-challenges-chinas-dominance",
    "E4": "https://minexforum.com/2026/02/03/eu-unlikely-to-cut-critical-minerals-dependence-on-china-by-2030-auditors-warn",
    "E6": "https://theewastecolumn.com/database/crm-regulations-in-the-eu/the-eu-s-progress-on-critical-raw-materials-under-the-green-deal",
    "E9": "https://www.econotimes.com/Chinas-Rare-Earth-Magnet-Exports-Plunge-Amid-Tighter-Export-Controls-1713812",
    "RE2": "https://rawmaterials.net/exports-of-dysprosium-and-terbium-decline-sharply-in-2025-as-destination-markets-shift",
    "M1": "https://www.mining.com/featured-article/charts-rare-earth-export-restrictions-price-spikes-and-the-risks-of-demand-destruction/",
    "M3": "https://energynews.oedigital.com/mineral-resources/2026/01/30/tungsten-reaches-record-highs-after-export-restrictions-increase-supply",
    "L1": "https://seekingalpha.com/article/4595721-lithium-the-cycle-continues",
    "Y1": "https://www.miningmx.com/trending/63184-rare-earth-yttrium-surges-to-record-amid-china-curbs",
    "Y2": "https://www.marketscreener.com/news/yttrium-under-pressure-towards-a-new-rare-earth-crisis-ce7d5fd2dc80f026",
    "Z1": "https://www.zimbabwenow.co.zw/articles/17580/dr-congo-to-replace-cobalt-export-ban-with-quota-system",
    "ST2": "http://pro.fastmarkets.com/scoop?id=87520&v=0&lang=en&cid=234341&type=1",
    "DLA-SM": "https://www.globalsecurity.org/military/agency/dod/dnsc.htm",
    "DLA": "https://www.dla.mil/About-DLA/News/News-Article-View/Article/4289182/dla-rds-expanded-strategic-materials-program-helps-reduce-critical-materials-ri",
    "N3": "https://argusmedia.com/zh/news-and-insights/latest-market-news/1969668-indonesia-to-stop-nickel-ore-exports-in-2020",
    "PL1": "https://www.pillsburylaw.com/en/news-and-insights/china-suspends-export-controls-certain-critical-minerals-related-items.html",
    "U3v": "https://pubs.usgs.gov/of/2024/1057/ofr20241057.pdf",
    "N1": "https://fas.org/publication/unpacking-dod-and-mp-partnership",
    "N2": "https://inspenet.com/en/noticias/rare-earth-prices-exceed-subsidy-threshold-in-the-u-s",
    "G1": "https://canada.news-pravda.com/world/2025/09/15/26640.html",
    "ND1": "https://www.marketgrowthreports.com/market-reports/ndpr-oxide-market-105072",
    "DY1": "https://dmv.community/@akuchling/114288515858309223",
    "TB1": "https://rareearthinvesting.net/elements/terbium",
    "YW1": "https://www.mrrse.com/reports/yttrium-metal-global-production-capacity-and-growth-outlook",
    "CO1": "https://www.fastmarkets.com/insights/china-plans-state-reserve-tender-increase-cobalt-stockpile/",
    "CO2": "https://projectblue.com/blue/news-analysis/896/srb-preparing-to-stockpile-cobalt-metal",
    "J1": "https://www.adamasintel.com/japan-rare-earth-consumption-increased-in-2017/",
    "F4": "https://www.fastmarkets.com/insights/poor-demand-natural-graphite-flake-china/",
    "R1": "https://energynews.oedigital.com/mining/2025/01/06/chinas-export-restriction-to-press-antimony-rates-to-new-highs",
    "DMG1": "https://www.timeslive.co.za/motoring/news/2025-06-06-auto-companies-face-shortages-due-to-chinas-rare-earth-restrictions/",
    "MAG1": "http://en.sh-re.com/news_view.aspx?fid=t2%3A28%3A2&id=1378&typeid=28",
    "JC1": "https://doaj.org/article/cc656ee928434899b8a11416b06a652e",
    "JMB1": "http://www.japanmetalbulletin.com/?p=16735",
    "E5": "https://news.metal.com/newscontent/103497154-dependency-independence-european-rare-earth-analysissmm-analysis",
    "J1b": "https://www.adamasintel.com/japan-rare-earth-consumption-2020-2/",
    "MAG2": "https://encyclopedia.pub/entry/50309",
    "JD1": "http://engt.co/zuO5bN",
    "JOG1": "https://www.readkong.com/page/jogmec-s-approach-for-critical-metals-and-efforts-for-9534098",
    "GA3": "https://fvbb.com/ns/factbox-some-facts-about-strategic-materials/72611",
    "KL1": "https://argusmedia.com/en/news-and-insights/latest-market-news/2648899-south-korea-s-lithium-imports-fall-in-2024",
    "EG1": "https://metalswire.net/news-of-the-week/european-companies-seek-solutions-to-gallium-and-germanium-supply-challenges/",
    "E7": "https://gai-connects.com/magazine/edition-02-2023/eurogarage/article/magazine-article-101",
    "NDS": "https://wttlonline.com/stories/national-defense-stockpile-market-impact-committee,11001",
    "ECGA": "https://ecga.net/strategic-critical/",
    "IMY": "https://emili.imerys.com/en/lithium-europe",
    "NI1": "https://cynthia-italy.blogspot.com/2009/05/italy-is-major-user-of-nickel.html",
    "JMIA": "https://home.nikkankinzoku.co.jp/2019/12/27/2019%E5%B9%B42018%E5%B9%B411%E6%9C%88%EF%BD%9E2019%E5%B9%B410%E6%9C%88%E3%81%AE%E3%83%8B%E3%83%83%E3%82%B1%E3%83%AB%E9%9C%80%E7%B5%A6%E5%AE%9F%E7%B8%BE-jmia/amp",
    "K12": "https://cm.asiae.co.kr/en/article/2024081614450522418",
    "K13": "http://worldal.com/news/southkorea/2010-10-22/128771213830824.shtml",
    "CO3": "https://www.reportlinker.com/dataset/f15159b44b5e6d21926289c0e8e26026125c3c0c",
    "AR1": "https://argusmedia.com/en/news-and-insights/latest-market-news/2653631-japan-s-burmese-antimony-imports-surge-in-december",
    "JOG2": "https://mric.jogmec.go.jp/news_flash/20210216/153209/",
    "I2A": "https://www.pinfa.eu/mediaroom/international-antimony-association-i2a/",
    "ECB": "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/eurofxref-graph-usd.en.html",
    "CO4": "https://chinaeconomicreview.com/china-to-increase-control-of-global-cobalt-production/?responsive=false",
    "NI2": "http://en.dongshanjituan.com/news/18.html",
    "I4": "https://origin.iea.org/policies/16639-international-resource-strategy-national-stockpiling-system",
    "J5": "https://argusmedia.com/zh/news-and-insights/latest-market-news/2120125-japan-to-strengthen-control-over-rare-metal-reserves",
    "K8": "https://rawmaterials.net/raw-material-stocks-south-korea-lags-behind-plans/",
    "PPS1": "http://danviet.com.au/nam-han-du-kien-tang-cuong-du-tru-cac-kim-loai-hiem",
    "E8": "https://www.globalpolicywatch.com/2025/12/resourceeu-action-plan-strengthening-the-eus-access-to-critical-raw-materials/",
    "CRS": "https://www.everycrsreport.com/reports/R47833.html",
    "D3": "https://insidedefense.com/insider/dla-expects-issue-updated-cobalt-metal-solicitation-worth-500m",
    "D6": "https://www.metalnomist.com/2025/12/us-antimony-dla-contract-strengthens-us.html",
    "F8": "https://www.fastmarkets.com/insights/us-dla-extends-cobalt-alloy-grade-acquisition",
    "BAT1": "https://mercomindia.com/lithium-ion-battery-historic-low-price",
    "BAT2": "https://www.evwind.es/2010/03/22/how-much-lithium-does-a-battery-really-need-by-william-tahil/4748",
}

SOURCES: list[dict] = []
STAFF_USD_PER_YR = 150_000  # a fully loaded staff-year, assumed (sources: settings.pool_fixed_usd_per_yr)
LB_PER_T = 2204.62


def fig(where: tuple[str, str, str], value, status: str, key: str = "", note: str = ""):
    """Record one figure: where = (sheet, row id, column); status = sourced | derived | assumed."""
    assert status in ("sourced", "derived", "assumed"), status
    urls = " ; ".join(URLS[k] for k in key.split(",") if k in URLS) if key else ""
    SOURCES.append({"sheet": where[0], "row": where[1], "column": where[2], "value": value, "status": status,
                    "source_key": key, "url": urls, "note": note})
    return value


# Assumption groups (sources sheet `group`): assumed figures that stand or fall together, each re-solved by
# `stockpile solve` at 0.5x and 2x (blank low/high) to show how much it moves the answer.
def assumption_group(row: dict) -> str | None:
    sheet, rid, column, note = row["sheet"], str(row["row"]), row["column"], str(row["note"])
    if row["status"] != "assumed":
        return None
    if sheet == "shortage_costs":
        return "shortage tiers 2-3" if rid.endswith((":2", ":3")) else f"{rid.split(':')[0]} tier 1"
    if sheet == "scenarios":
        return "severe embargo probability"
    if sheet == "events":
        return "severe embargo depth and length"
    if (sheet, column) in (("minerals", "holding_rate_per_yr"), ("settings", "value")) and (
            column == "holding_rate_per_yr" or rid == "discount_rate"):
        return "cost of capital (holding rate and discount rate)"
    if sheet == "demand" and column == "consumption_t_per_yr":
        party = rid.split(":")[0]
        if "x assumed" in note and ("REE" in note or "REO" in note) and party != "KR":
            return "REE element shares"
        return {"JP": "Japanese tonnages", "KR": "Korean tonnages", "EU": "EU tonnages"}.get(party, f"{party} tonnages")
    if (sheet, column) == ("demand", "existing_stock_t"):
        return "existing stocks (JOGMEC's secret)"
    if (sheet, column) == ("demand", "programme_fixed_usd_per_yr"):
        return "programme fixed costs"
    if (sheet, column) == ("minerals", "joint_fixed_usd_per_yr") or (sheet, rid) == ("settings", "pool_fixed_usd_per_yr"):
        return "pool running costs"
    named = {("settings", "replenish_premium"): "refill premium", ("settings", "build_years"): "build years",
             ("settings", "mip_rel_gap"): "solver gap", ("settings", "sensitivity_mip_rel_gap"): "solver gap"}
    if (sheet, rid) in named:
        return named[sheet, rid]
    return {("demand", "net_import_reliance"): "net import reliance (assumed)",
            ("minerals", "max_purchase_share_per_yr"): "purchase caps",
            ("minerals", "long_run_price_usd_per_t"): "long-run prices",
            ("minerals", "price_usd_per_t"): "NdFeB price",
            ("minerals", "lot_t"): "lot sizes",
            ("release_options", "max_release_share_per_month"): "release capacity",
            ("product_inputs", "share_of_demand"): "product input shares",
            ("parties", "gdp_usd_bn"): "GDP",
            ("world_supply", "sells_to_stockpiles"): "who sells to stockpiles"}.get((sheet, column))


PARTIES = ["US", "JP", "KR", "EU"]
NAMES = {"US": "United States", "JP": "Japan", "KR": "Republic of Korea", "EU": "European Union"}
GDP = {"US": 29_000, "JP": 4_100, "KR": 1_750, "EU": 19_400}

# mineral: name, form, price USD/t (value, status, key, note), lot_t, controlled storage?
MINERALS = {
    "NdPr": ("NdPr oxide", "oxide", (54_000, "sourced", "B1", "$54/kg, May 2024 (Benchmark)"), 10, False),
    "Dy": ("Dysprosium oxide", "oxide", (260_000, "sourced", "U1", "$260/kg, 2024 average (USGS/Argus)"), 1, False),
    "Tb": ("Terbium oxide", "oxide", (810_000, "sourced", "U1", "$810/kg, 2024 average (USGS)"), 1, False),
    "Y": ("Yttrium oxide", "oxide", (8_000, "sourced", "Y1", "<$8/kg end-2024 (Asian Metal); upper end used"), 5, False),
    "Ga": ("Gallium", "metal (high purity)", (500_000, "sourced", "U2", "$500/kg high-purity, 2024 average"), 1, True),
    "Ge": ("Germanium", "metal", (1_550_000, "sourced", "A2", "$1,550/kg Europe, Jan 2024 (Argus via USGS)"), 1, False),
    "Graphite": ("Natural graphite", "flake, t", (1_070, "sourced", "U4", "USGS flake import unit value $1,070/t"), 100, False),
    "Sb": ("Antimony", "metal, Sb content", (12_200, "derived", "A3",
                                             "midpoint of Rotterdam $12,000-12,400/t, May 2023"), 10, False),
    "W": ("Tungsten", "W content (as APT)", (42_900, "derived", "F2",
                                            "APT $340/mtu (midpoint of $335-345, Jan 2025) x 100 mtu/t WO3 / 0.793 t W per t WO3"), 10, False),
    "Co": ("Cobalt", "metal", (round(17 * LB_PER_T), "derived", "U7", "US spot $17/lb (2024 avg) x 2,204.62 lb/t"), 10, False),
    "Li2CO3": ("Lithium carbonate", "t LCE", (14_000, "sourced", "U8", "$14,000/t, 2024 average"), 100, True),
    "Ni": ("Nickel", "metal", (17_000, "sourced", "U9", "LME $17,000/t, 2024 average"), 100, False),
    # the EU's rare-earth exposure is in magnets, not oxide: an oxide stock does not protect a magnet importer
    "NdFeB": ("NdFeB magnets", "sintered magnet, t of magnet", (60_000, "assumed", "MAG2",
              "no magnet price in the stored sources: $60/kg assumed (NdPr content ~30% x $54/kg = $16/kg of "
              "material, plus making)"), 10, False),
}
MAGNET_ONLY = {"NdFeB": ["EU"]}  # parties whose demand for a mineral is modelled (default: all)

# World supply a year in the stocked form (the base of the purchase caps), SOURCES §1 and §10.
WORLD = {
    "NdPr": (50_000, "sourced", "ND1", "global NdPr oxide production exceeded 50,000 t in 2023 (market report, S)"),
    "Dy": (3_126, "sourced", "DY1", "world Dy production 3,126 t (2021; JRC RMIS as quoted, S)"),
    "Tb": (600, "sourced", "TB1", "global Tb production ~600 t/yr (industry data, S)"),
    "Y": (8_000, "derived", "YW1", "midpoint of 7,000-9,000 t Y2O3 equivalent estimated for 2025 (S)"),
    "Ga": (760, "sourced", "U2", "world primary low-purity gallium 760,000 kg, 2024e (USGS)"),
    "Ge": (210, "sourced", "U3v", "world primary germanium 210 t, 2022 (USGS OFR 2024-1057, Table 1.14)"),
    "Graphite": (1_600_000, "sourced", "U4", "world natural graphite mine output 1.6 Mt, 2024e (USGS)"),
    "Sb": (100_000, "sourced", "U5", "world antimony mine output ~100,000 t, 2024e (USGS)"),
    "W": (81_000, "sourced", "U6", "world tungsten mine output 81,000 t, 2024e (USGS); ex-China ~14,000 t"),
    "Co": (40_500, "sourced", "CO1", "global cobalt metal output 40,500 t (2023): the stock is metal; mine output "
           "(all forms) is 290,000 t (U7)"),
    "Li2CO3": (1_277_000, "derived", "U8", "world lithium 240,000 t Li x 5.323 t LCE per t Li = 1.277 Mt LCE"),
    "Ni": (3_700_000, "sourced", "U9", "world nickel mine output 3.7 Mt, 2024e (USGS)"),
    "NdFeB": (166_700, "derived", "ND1,MAG2", "world NdPr oxide >50,000 t / ~30% REE content of a magnet"),
}
PURCHASE_CAP = (0.10, "assumed", "NDS,CO2",
                "all buyers together take at most 10% of a year's world supply: China's reserve bureau moved cobalt "
                "prices 50% buying 5 kt (CO2); the US NDS has a statutory Market Impact Committee (NDS)")
BUILD_YEARS = (5, "assumed", "", "stock may be bought over 5 fiscal years (an acquisition programme's horizon)")
# The price our buying moves: China's State Reserve Bureau bought ~5 kt of cobalt and moved its price ~50% (CO2);
# 5,000 t / 40,500 t of world cobalt metal a year = 12.3%, so uplift u = 0.50 / 0.123 = 4.05 per share of supply.
UPLIFT = (4.05, "derived", "CO2,CO1", "SRB cobalt episode: +50% price for 5,000 t bought = 5,000 / 40,500 t (world "
          "cobalt metal, CO1) = 12.3% of a year's supply: u = 0.50 / 0.123 = 4.05; taken for every mineral (assumed: "
          "no other episode measured)")
# Long-run price: what stock bought at today's crisis price is worth if the premium goes (the capital-loss term)
LONG_RUN_NOTE = ("long-run price taken as the pre-control price (price_usd_per_t; assumed: the crisis premium is "
                 "temporary, as after the 2010-11 rare-earth spike)")

# Acquisition prices today (late 2025); the pre-control prices stay in price_usd_per_t for comparison.
TODAY = {
    "NdPr": (110_000, "sourced", "N1,N2", "DoD price floor $110/kg (Jul 2025); market ~$123/kg early 2026 (N2)"),
    "Dy": (850_000, "derived", "A1", "Europe $700-1,000/kg (6 May 2025, Argus), midpoint"),
    "Tb": (3_000_000, "derived", "A1", "Europe $2,000-4,000/kg (May 2025, Argus), midpoint"),
    "Y": (126_000, "sourced", "Y1", "$126/kg (Nov 2025, Asian Metal); Europe ~$270/kg"),
    "Ga": (550_000, "derived", "F1", "Rotterdam $500-600/kg after the 2023 controls, midpoint"),
    "Ge": (2_630_000, "derived", "A2,G1", "fob China $2,580-2,680/kg (30 Sep 2024), midpoint; ~$5,000/kg "
           "quoted Sep 2025 (G1, S)"),
    "Sb": (60_250, "derived", "A4", "Rotterdam $59,500-61,000/t (24 Jun 2025), midpoint"),
    "W": (136_507, "derived", "M3", "APT $1,050-1,115/mtu (31 Dec 2025), midpoint $1,082.5 x 100 mtu/t WO3 / 0.793"),
    "Co": (round(16 * LB_PER_T), "derived", "Z1", "~$16/lb COMEX (Sep 2025) x 2,204.62 lb/t"),
}

# Disruption price premium (share of price) observed in past shocks, used for shortage tier 1.
SPIKE = {
    "NdPr": (0.95, "derived", "F6,N2", "~+95%: $63/kg (Jul 2025) -> ~$123/kg (early 2026)"),
    "Dy": (2.27, "derived", "U1,A1", "Europe $850/kg (midpoint of $700-1,000, May 2025) / $260 - 1"),
    "Tb": (2.11, "derived", "U1,A1", "Europe $3,000/kg (midpoint of $2,000-4,000) / $965 (Apr 2025) - 1"),
    "Y": (15.0, "derived", "Y1", "$126/kg (Nov 2025) / $8 - 1 = 14.75, rounded"),
    "Ga": (1.14, "sourced", "F1", "+114% Rotterdam Jun-Dec 2023"),
    "Ge": (1.0, "derived", "A2", "~2x: $1,160 -> $2,630/kg fob China 2023-Sep 2024"),
    "Graphite": (0.2, "assumed", "F4", "no post-control spike found (prices fell); 20% substitution premium assumed"),
    "Sb": (4.0, "derived", "A3,R1", "~5x: $12,200 -> $60,000/t (Jun 2025)"),
    "W": (2.18, "sourced", "F2,M3", "APT +218% in 2025"),
    "Co": (0.6, "derived", "U7,Z1", "~+60%: $10 -> $16/lb after the DRC ban"),
    "Li2CO3": (5.0, "derived", "L1,U8", "2022 peak ~$84,000/t vs $14,000/t: 6x"),
    "Ni": (0.47, "sourced", "N3", "+47% Jul-Aug 2019 on the Indonesian ore ban"),
    "NdFeB": (0.95, "derived", "F6,N2", "taken as NdPr's ~+95% (magnet prices follow their NdPr content)"),
}

# Share of rare-earth oxide by element: USGS gives national REE totals only, so a national REO tonnage is split by
# the element's share of world output (WORLD above / world REO mine output, U1), the national mix taken as the world's.
WORLD_REO_T = 390_000  # world rare-earth mine output 2024e, t REO (USGS MCS 2025, U1)
REE_SPLIT = {m: WORLD[m][0] / WORLD_REO_T for m in ("NdPr", "Dy", "Tb", "Y")}


def ree_rows(reo_t: float, key: str, what: str, nir, elements=tuple(REE_SPLIT)) -> dict:
    """A party's rows for the rare-earth elements: its REO tonnage `what` (reo_t, cited by `key`) x each element's
    share of world output, the arithmetic in the note; nir: the net import reliance, or element -> it."""
    rows = {}
    for m in elements:
        share = REE_SPLIT[m]
        note = (f"{what} x {m} share {share:.2%} = world {m} {WORLD[m][0]:,} t ({WORLD[m][2]}) / world REO mine "
                f"output {WORLD_REO_T:,} t (U1); the national mix taken as the world's")
        keys = ",".join(dict.fromkeys([key, "U1", WORLD[m][2]]))
        rows[m] = (round(reo_t * share, 1), "derived", keys, note, nir(m) if callable(nir) else nir)
    return rows
# China's share of world refining / processing (embedded dependence), SOURCES §1.
CN_REFINING = {
    "NdPr": (0.91, "I3", "91% of separation (IEA Oct 2025)"),
    "Dy": (0.99, "C2", "~99% of heavy-REE refining (CSIS, S)"),
    "Tb": (0.99, "C2", "~99% of heavy-REE refining (CSIS, S)"),
    "Y": (0.93, "Y2", "93% of US yttrium imports 2020-23"),
    "Ga": (0.988, "P1", "98.8% of refined Ga 2024 (Project Blue, S)"),
    "Ge": (0.592, "P1", "59.2% of refined Ge 2024 (Project Blue, S)"),
    "Graphite": (0.90, "R5", ">90% of refining into anode material (S)"),
    "Sb": (0.85, "R4", ">85% of refining (S)"),
    "W": (0.827, "U6", "82.7% of mine output (67,000/81,000 t)"),
    "Li2CO3": (0.70, "I1s", "~70% of refining (S)"),
    "NdFeB": (0.94, "I3", "94% of magnet manufacturing (IEA Oct 2025)"),
    # the refiner is the chokepoint of cobalt and nickel too, though the ore comes from the DRC and Indonesia
    "Co": (round(140_000 / (140_000 + 40_000), 3), "CO4", "China refined 140,000 t of cobalt in 2022, the rest of the "
           "world 40,000 t (Darton Commodities via the FT): 140,000 / 180,000 = 77.8% of refining"),
    "Ni": (round(623_700 / 2_078_000, 3), "NI2", "China produced 623,700 t of the world's 2,078,000 t of primary nickel "
           "in 2017 (INSG): 623,700 / 2,078,000 = 30.0%"),
}
DRC_CO = (0.76, "U7", "DRC 76% of world cobalt mine output")
IDN_NI = (0.595, "U9", "Indonesia 59.5% of world nickel mine output")
ORE = {"Co": ("CD", DRC_CO), "Ni": ("ID", IDN_NI)}  # mineral -> the ore supplier behind every refiner
# China's share of a party's refined cobalt and nickel, from its trade data where published; else China's share of
# world refining. The US buys both from refiners outside China (Norway, Finland, Japan, Canada), so its trade data,
# not the world share, says how much of its supply passes through China.
REFINED_CN = {
    ("US", "Co"): (0.13, "U7", "China is not among the four leading sources of US cobalt imports (Norway 27%, Finland "
                   "17%, Japan 14%, Canada 13%; USGS): at most 13%, the fourth source's share (an upper bound)"),
    ("US", "Ni"): (0.11, "U9", "China is not among the leading sources of US nickel imports (Canada 46%, Norway 11%; "
                   "USGS): at most 11%, the second source's share (an upper bound)"),
}


def us_demand():
    """US: USGS MCS 2025 apparent consumption and net import reliance (NIR)."""
    ree = 6_600
    rows = {
        "Y": (470, "derived", "Y2", "imports ~470 t in 2024 (S), NIR 100%: consumption = imports", 1.0),
        "Ga": (19, "sourced", "U2", "19,000 kg reported consumption", 1.0),
        "Ge": (30, "sourced", "U3", "30,000 kg estimated (2020-21)", 0.5),
        "Graphite": (52_000, "sourced", "U4", "apparent consumption 2024e", 1.0),
        "Sb": (24_000, "sourced", "U5", "apparent consumption 2024e", 0.85),
        "W": (10_400, "derived", "U6", "withheld by USGS; imports 1,500 + 8,900 t used as proxy", 0.5),
        "Co": (8_500, "sourced", "U7", "apparent consumption 2024e", 0.76),
        "Li2CO3": (round(3_300 * 5.323), "derived", "U8", "withheld; imports 3,300 t Li x 5.323 t LCE/t Li", 0.5),
        "Ni": (180_000, "sourced", "U9", "apparent consumption incl. scrap", 0.48),
    }
    # yttrium has its own figure above; NdPr's reliance is that of REE compounds and metals, Dy's and Tb's total
    rows.update(ree_rows(ree, "U1", "REE apparent consumption 6,600 t REO", lambda m: 1.0 if m in ("Dy", "Tb") else 0.8,
                         ("NdPr", "Dy", "Tb")))
    return rows


KR_GRAPHITE = 8_830 * 12  # t/yr: Korea's monthly spherical graphite imports from China before Dec 2023 x 12


def jp_demand():
    ree = 18_835
    rows = ree_rows(ree, "J2", "JNMA REE demand 18,835 t (2024, S)", 1.0)
    rows["Ni"] = (47_791, "sourced", "JMIA", "reported domestic demand for nickel metal 47,791 t, Nov 2018-Oct 2019 "
                  "(Japan Mining Industry Association supply-demand table, via Nikkan Kinzoku); ferronickel not included", 1.0)
    rows["NdPr"] = (round(12_400 * 0.30), "derived", "J1b,MAG2",
                    "NdFeB alloy output 12,400 t (2020) x ~30% REE content = 3,720 t REO in magnets, taken as NdPr "
                    "(Dy/Tb are a few % of it; other NdPr uses left out)", 1.0)
    rows["Dy"] = (1_000, "derived", "JD1", "a 30% cut in Dy use 'would reduce consumption by 200-400 t/yr' (2012): "
                  "200/0.3-400/0.3 = 670-1,330 t/yr, midpoint", 1.0)
    world_ga = 290  # t refined, 2022 (Reuters factbox)
    rows["Ga"] = (round(0.449 * world_ga, 1), "derived", "JOG1,GA3",
                  "Japan 44.9% of world gallium use (JOGMEC 2018) x world refined Ga 290 t (2022)", 1.0)
    rows["Li2CO3"] = (round(0.14 * 240_000 * 5.323), "derived", "JOG1,U8",
                      "Japan 14.0% of world lithium use (JOGMEC 2018) x 240,000 t Li x 5.323 t LCE/t Li", 1.0)
    rows["Co"] = (9_413, "sourced", "JC1", "9,413 t of cobalt input to Japan in 2013 (substance flow, MMIJ 2016); "
                  "13,162 t forecast for 2020", 1.0)
    rows["Sb"] = (round(345 * 12 + 2_524 * 0.835), "derived", "AR1,JOG2",
                  "antimony ingot imports ~345 t a month before the controls (Dec 2023: Dec 2024's 293 t was -15% y/y, "
                  "MoF via Argus) x 12 = 4,140 t, plus China's 2,524 t of antimony oxide exports to Japan (2020, China "
                  "customs via JOGMEC) x 0.835 t Sb per t Sb2O3 = 2,108 t", 1.0)
    rows["W"] = (243 * 12, "derived", "JMB1", "tungsten imports 243 t in one April (MoF via Japan Metal Bulletin) x 12", 1.0)
    rows["Graphite"] = (round(KR_GRAPHITE * 29 / 49), "derived", "U4,F3",
                        "Japan took 29% of China's spherical graphite exports, Korea 49% (Jan-Aug 2024): Korea's "
                        f"{KR_GRAPHITE:,} t/yr x 29/49")
    rows["Graphite"] = (*rows["Graphite"], 1.0)
    scale = 0.5  # no Japanese tonnages published for these (SOURCES §8)
    for m, (v, *_rest) in us_demand().items():
        if m not in rows:
            rows[m] = (round(v * scale, 1), "assumed", "",
                       f"no public Japanese tonnage (docs/sources.md, 'Looked for and not found'): assumed {scale} x US consumption", 1.0)
    return rows


def kr_demand():
    kr_ree = 2_655  # t of rare earths and processed materials bought in 2009 (Ministry of Knowledge Economy, K13)
    rows = ree_rows(kr_ree, "K13", "Korea's rare-earth imports 2,655 t (2009, MKE; the latest annual tonnage found)",
                    0.95)
    kr_sb_usd = 59.2e6  # antimony imports in 2023 (MOTIE, K12)
    rows["Sb"] = (round(kr_sb_usd / MINERALS["Sb"][2][0]), "derived", "K12,A3",
                  f"antimony imports worth $59.2 m in 2023 (MOTIE via Asia Economy) / ${MINERALS['Sb'][2][0]:,}/t "
                  "(Rotterdam, May 2023: this workbook's price) = tonnes bought", 0.95)
    rows["Co"] = (3_747, "sourced", "CO3", "cobalt imports 3,746,500 kg in 2023 (trade data via ReportLinker); "
                  "imports as consumption (Korea mines none)", 0.95)
    rows["Graphite"] = (KR_GRAPHITE, "derived", "F3,GR1", "Korea's spherical graphite imports from China 8,830 t in "
                        "the month before the Dec 2023 licensing x 12", 0.95)
    li = round(26_965 + 101_447 * 0.88)
    rows["Li2CO3"] = (li, "derived", "KL1", "2024 imports: carbonate 26,965 t + oxide/hydroxide 101,447 t x 0.88 t LCE "
                      "per t LiOH.H2O = 116,238 t LCE (imports as consumption: Korea mines none)", 0.95)
    for m, (v, *_rest) in us_demand().items():
        if m not in rows:
            scale = 1.0 if m == "Graphite" else 0.3
            why = ("Korea took 49% of China's spherical graphite exports (Jan-Aug 2024, U4): assumed equal to US"
                   if m == "Graphite" else "no public Korean tonnage: assumed 0.3 x US consumption")
            rows[m] = (round(v * scale, 1), "assumed", "U4" if m == "Graphite" else "", why, 0.95)
    return rows


def eu_demand():
    ree = 12_900
    rows = ree_rows(ree, "E1", "EU REE imports 12,900 t (2024) as consumption proxy", 0.98)
    rows["Ga"] = (42.5, "derived", "EG1", "EU gallium demand 40-45 t/yr (Mytilineos): midpoint (40 + 45) / 2 = 42.5", 0.98)
    rows["NdFeB"] = (16_000, "sourced", "MAG1", "EU imports ~16,000 t/yr of rare-earth magnets from China, ~98% of "
                     "its needs (ERMA 2021)", 0.98)
    rows["Graphite"] = (100_000, "sourced", "ECGA,E6", "the EU imports ~100,000 t of natural graphite a year (European "
                        "Carbon and Graphite Association); imports as consumption (EU self-sufficiency <2%, E6)", 0.98)
    rows["Li2CO3"] = (600_000 // 10, "derived", "IMY", "European demand ~600,000 t LCE a year by 2030, 'ten times more "
                      "than in 2020' (Imerys): 600,000 / 10 = 60,000 t LCE (2020)", 0.98)
    rows["Ni"] = (round(117_000 / 0.16), "derived", "NI1", "Italy used 117 kt of nickel (primary and recycled, 2002), "
                  "~16% of EU demand (Nickel Institute figures as quoted): 117,000 / 0.16 = 731,250 t; the latest EU "
                  "total found, and of the EU-15", 0.98)
    eur_usd_2018 = 1.181  # ECB reference rate, 2018 average
    rows["Sb"] = (round(300e6 * eur_usd_2018 / MINERALS["Sb"][2][0], -2), "derived", "I2A,ECB,A3",
                  f"sales of antimony products in the EEA worth EUR 300 m in 2018 (International Antimony Association) "
                  f"x {eur_usd_2018} USD/EUR (ECB, 2018 average) / ${MINERALS['Sb'][2][0]:,}/t (this workbook's price) "
                  "= ~29,000 t (a product value, not contained antimony: an approximation)", 0.98)
    for m, (v, *_rest) in us_demand().items():
        if m not in rows:
            rows[m] = (round(v * 1.0, 1), "assumed", "", "no public EU tonnage (docs/sources.md, 'Looked for and not found'): assumed equal to US", 0.98)
    return rows


def nir_basis(p: str, m: str, nir: float) -> tuple[str, str, str]:
    """Status, key and note of a net import reliance figure."""
    if p == "US":
        basis = {"NdPr": ("derived", "U1", "REE compounds and metals NIR 80% (USGS), applied to NdPr"),
                 "Dy": ("derived", "C2", "no commercial US heavy-REE separation (CSIS): 100%"),
                 "Tb": ("derived", "C2", "no commercial US heavy-REE separation (CSIS): 100%"),
                 "Y": ("sourced", "Y2", "US yttrium NIR 100% (S)"),
                 "W": ("derived", "U6", "USGS NIR >50%, read as 0.5"),
                 "Ge": ("derived", "U3", "USGS NIR >50%, read as 0.5"),
                 "Li2CO3": ("derived", "U8", "USGS NIR >50%, read as 0.5")}
        return basis.get(m, ("sourced", "U1-U9", "USGS NIR 2024e"))
    if p == "KR":
        return "derived", "K7", "~95% of Korea's key minerals are imported (K7), applied to each"
    if p == "EU":
        if m in ("Co", "Li2CO3", "Ni"):
            return "derived", "E7", "78% import dependence across Co, Ni, Li, Mn, graphite (ECA 2023)"
        if m == "NdFeB":
            return "derived", "MAG1,E5", "~98% of the EU's magnet needs imported from China (ERMA; EP)"
        if m in ("NdPr", "Dy", "Tb", "Y", "Ga", "Ge", "Graphite"):
            return "derived", "E6", "self-sufficiency <2% (ECA: REE extraction, Ga, Ge, graphite): 0.98"
        return "assumed", "", "no EU import-reliance figure found for this mineral: 0.98 assumed"
    if m in ("NdPr", "Dy", "Tb", "Y"):
        return "derived", "J1", "Japan 'entirely reliant on foreign sources' for REE (Adamas)"
    return "assumed", "", "Japan assumed fully import reliant (no figure found for this mineral)"


DIRECT_CN = {  # China's share of the party's imports, where reported
    ("US", "NdPr"): 0.70, ("US", "Dy"): 0.70, ("US", "Tb"): 0.70, ("US", "Ga"): 0.19, ("US", "Ge"): 0.23,
    ("US", "Graphite"): 0.43, ("US", "Sb"): 0.63, ("US", "W"): 0.27,
    ("JP", "NdPr"): 0.796, ("JP", "Y"): 0.987,
    ("KR", "NdPr"): 0.80, ("KR", "Ga"): 0.98, ("KR", "Graphite"): 0.97, ("KR", "Li2CO3"): 0.65,
    ("EU", "NdPr"): 0.463, ("EU", "Dy"): 1.0, ("EU", "Tb"): 1.0, ("EU", "Ga"): 0.71, ("EU", "Ge"): 0.45,
    ("EU", "Graphite"): 0.40, ("EU", "W"): 0.31, ("EU", "NdFeB"): 0.98,
}
DIRECT_KEY = {"US": "U1-U6", "JP": "J3", "KR": "K1,K4", "EU": "E1,E3,E4"}

# Stocks the parties already hold, by what each agency publishes. US: the National Defense Stockpile publishes no
# inventory by material in the stored sources (CRS: $912.3 m of material, not by material), so a row is what the
# Annual Materials Plan implies (a disposal authority means at least that much is held) or what USGS says it holds
# ("None", "Not available"); Korea: the PPS's published cover in days; Japan: JOGMEC's holdings are secret, so its
# target is taken as held (assumed); the EU has no stockpile before its 2026 pilot.
KR_RARE_DAYS = (40, "PPS1", "the PPS holds 23,000 t of rare metals = 40 days of use")
KR_NONFERROUS_DAYS = (55, "PPS1", "the PPS holds 220,000 t of non-ferrous metals = 55 days of use")
JP_TARGET_DAYS = (42, "I4,J5", "JOGMEC's holdings are secret (I4); its national stock target is 42 of the 60 days "
                  "of consumption (18 days private, J5), taken as held")
US_STOCK = {  # mineral: (t, status, key, note)
    "Ge": (5, "derived", "U3", "the NDS plans 5,000 kg of germanium disposals a year (FY2024, FY2025): it holds at "
           "least 5 t (a lower bound)"),
    "W": (499, "derived", "U6", "the NDS plans 499 t of tungsten ore disposals in FY2025 (907 t in FY2024): it holds "
          "at least 499 t (a lower bound)"),
    "Sb": (round(315_000 / LB_PER_T, 1), "derived", "D6", "DLA's first order under its antimony contract: 315,000 lb "
           "/ 2,204.62 lb/t = 142.9 t (2025; counted as delivered)"),
    "Ga": (0, "sourced", "U2", "USGS: NDS gallium 'Not available'"),
    "Li2CO3": (0, "sourced", "U8", "USGS: NDS lithium 'Not available'"),
    "Graphite": (0, "sourced", "U4", "USGS: NDS natural graphite 'None'"),
    "Co": (0, "derived", "F8,D3", "DLA's cobalt tender (up to 7,500 t) was cancelled in Oct 2025 before any award: "
           "0 t bought"),
}


def existing_stock(p: str, m: str, use_t: float) -> tuple[float, str, str, str]:
    """A party's existing public stock of a mineral (t, status, key, note): see the comment above."""
    if p == "US":
        return US_STOCK.get(m, (0, "assumed", "CRS", "the NDS publishes no inventory of this material in the stored "
                                "sources (CRS: $912.3 m of material in all, Mar 2023); 0 taken (a lower bound)"))
    if p == "KR":
        if m == "Li2CO3":
            return round(12.3 * use_t / 365), "derived", "K9", f"Li cover 12.3 days (Sep 2022) x {use_t:,.0f} t/yr / 365"
        if m in ("NdPr", "Dy"):
            days, key, what = (180, "K10", "Nd ~180 days of automaker use") if m == "NdPr" else \
                (183, "K11", "Dy >6 months of reserves")
            return round(days * use_t / 365, 1), "derived", key, f"{what}: {days} days x {use_t:,.1f} t/yr / 365"
        if m == "Graphite":
            return 0, "assumed", "PPS1", "no Korean graphite stock published (PPS1 and K8 give rare and non-ferrous metals)"
        days, key, what = KR_NONFERROUS_DAYS if m == "Ni" else KR_RARE_DAYS
        return (round(days * use_t / 365, 1), "derived", key,
                f"{what}, taken for each metal whose own cover is not published: {days} days x {use_t:,.1f} t/yr / 365")
    if p == "JP":
        if m == "Graphite":
            return 0, "assumed", "I4", "graphite is not among the rare metals JOGMEC stockpiles (I4); 0 taken"
        days, key, what = JP_TARGET_DAYS
        return (round(days * use_t / 365, 1), "assumed", key,
                f"{what}: {days} days x {use_t:,.1f} t/yr / 365")
    return 0, "derived", "E8", "the EU holds no stockpile before the pilot of its Critical Raw Materials Centre (2026, E8)"


AGENCY = {"US": "DLA Strategic Materials", "JP": "JOGMEC", "KR": "KOMIR and the PPS"}


def programme_fixed(p: str) -> tuple[float, str, str, str]:
    """The fixed cost a year of a party's national programme for each mineral it holds (usd, status, key, note)."""
    if p in AGENCY:
        return (0, "assumed", "", f"{AGENCY[p]} already runs {p}'s stockpile: a mineral more adds no fixed cost at the "
                "margin (its holding and storage are in the minerals sheet)")
    staff = 80 / 28  # DLA Strategic Materials' people per commodity (settings: pool_fixed_usd_per_yr)
    return (round(staff * STAFF_USD_PER_YR), "assumed", "DLA-SM,E8",
            f"the EU's stockpile starts with its 2026 pilot (E8): a programme per mineral at DLA Strategic Materials' "
            f"staff per commodity, 80 people / 28 commodities = {staff:.2f} x ${STAFF_USD_PER_YR:,} a staff-year")


def build() -> dict[str, pd.DataFrame]:  # noqa: C901  one table after another, each from its sourced rows
    pool_staff = round(80 * len(MINERALS) / 28)  # DLA Strategic Materials' staff per commodity (settings note)
    settings = pd.DataFrame([
        {"key": "horizon_months", "value": 24},
        {"key": "coverage_basis", "value": "consumption"},
        {"key": "joint_allocation", "value": "cooperative"},
        {"key": "replenish_premium", "value": fig(("settings", "replenish_premium", "value"), 0.1, "assumed", "",
                                                  "refilling after a release is bought into a tight market: +10%")},
        {"key": "mip_rel_gap", "value": fig(("settings", "mip_rel_gap", "value"), 1e-6, "assumed", "",
                                             "1e-6: proved in ~7 s by solving mineral by mineral, so coalition values and pooling savings are exact to ~$300/yr, not noise")},
        {"key": "sensitivity_mip_rel_gap", "value": fig(
            ("settings", "sensitivity_mip_rel_gap", "value"), 1e-4, "assumed", "",
            "1e-4 for the assumption re-solves: ~$180k/yr of the $1.8 bn/yr objective, far below what the groups "
            "move, and each variant states its precision; the magnet group re-solves in 3.7 s instead of 7.7 s")},
        {"key": "time_limit_s", "value": 300},
        {"key": "build_years", "value": fig(("settings", "build_years", "value"), *BUILD_YEARS)},
        # EVPI and VSS take three more solves (~6 min here): models/value_of_information.toml turns them on
        {"key": "value_of_information", "value": "no"},
        {"key": "discount_rate", "value": fig(("settings", "discount_rate", "value"), 0.05, "assumed", "",
                                               "public cost of capital 5%/yr, as the holding rate")},
        {"key": "pool_fixed_usd_per_yr", "value": fig(
            ("settings", "pool_fixed_usd_per_yr", "value"), pool_staff * STAFF_USD_PER_YR, "assumed", "DLA-SM",
            f"the pool's secretariat and sites: DLA Strategic Materials ran 28 commodities at 15 locations with ~80 "
            f"people (2010); a pool of up to {len(MINERALS)} minerals at the same staff per commodity, "
            f"80 x {len(MINERALS)}/28 = {pool_staff} people, x ${STAFF_USD_PER_YR:,} a staff-year (assumed, fully "
            "loaded, sites included); no published budget of a joint stockpile's running costs was found")},
    ])
    parties = []
    for p in PARTIES:
        gdp = fig(("parties", p, "gdp_usd_bn"), GDP[p], "assumed", "",
                  "rounded 2024 GDP (IMF WEO); not among the stored sources, verify before citing")
        budget = None
        if p == "US":
            budget = fig(("parties", p, "budget_usd"), 2e9, "sourced", "DLA", "$2 bn NDS funding, FY2025")
        parties.append({"party": p, "name": NAMES[p], "gdp_usd_bn": gdp, "joint_member": "optional",
                        "budget_usd": budget, "entitlement_share": None})
    minerals, tiers = [], []
    for m, (name, form, (price, st, key, note), lot, controlled) in MINERALS.items():
        price = fig(("minerals", m, "price_usd_per_t"), price, st, key, note)
        rate = fig(("minerals", m, "holding_rate_per_yr"), 0.05, "assumed", "",
                   "public cost of capital 5%/yr; no source gives a percentage (docs/sources.md, 'Looked for and not found')")
        storage = fig(("minerals", m, "storage_usd_per_t_yr"), 450 if controlled else 150, "derived", "ST2,I6" if controlled else "ST2",
                      "LME rents ~$105-210/t/yr, midpoint ~$150" + (" x 3 for controlled storage (IEA)" if controlled else ""))
        lot = fig(("minerals", m, "lot_t"), lot, "assumed", "", "procurement lot size")
        today = fig(("minerals", m, "acquisition_price_usd_per_t"), *TODAY[m]) if m in TODAY else None
        world = fig(("minerals", m, "world_supply_t_per_yr"), *WORLD[m])
        cap = fig(("minerals", m, "max_purchase_share_per_yr"), *PURCHASE_CAP)
        uplift = fig(("minerals", m, "price_uplift_per_share"), *UPLIFT)
        long_run = fig(("minerals", m, "long_run_price_usd_per_t"), price, "assumed", key, LONG_RUN_NOTE) \
            if m in TODAY else None
        minerals.append({"mineral": m, "name": name, "form": form, "price_usd_per_t": price,
                         "holding_rate_per_yr": rate, "storage_usd_per_t_yr": storage, "lot_t": lot,
                         "joint_fixed_usd_per_yr": fig(
                             ("minerals", m, "joint_fixed_usd_per_yr"), 0, "assumed", "",
                             "0: the pool's sites and staff are one cost for all its minerals, pool_fixed_usd_per_yr "
                             "(settings); no per-mineral figure was found"),
                         "world_supply_t_per_yr": world,
                         "max_purchase_share_per_yr": cap, "acquisition_price_usd_per_t": today,
                         "price_uplift_per_share": uplift, "long_run_price_usd_per_t": long_run})
        spike, sst, skey, snote = SPIKE[m]
        fig(("shortage_costs", f"{m}:1", "usd_per_t"), spike, sst, skey, "disruption premium (share of price): " + snote)
        t1 = round(price * max(spike, 0.5))
        t2 = round(price * max(3 * spike, 3.0))
        t3 = round(price * max(10 * spike, 10.0))
        fig(("shortage_costs", f"{m}:1", "usd_per_t"), t1, "derived" if sst != "assumed" else "assumed", skey,
            "tier 1 (first 25% of demand): the price premium on what is still bought, price x max(premium, 0.5); "
            "for an importer a loss paid abroad (within the party it would be a transfer)")
        fig(("shortage_costs", f"{m}:2", "usd_per_t"), t2, "assumed", "",
            "tier 2 (25-60%): costly substitution and thrift, price x max(3 x premium, 3)")
        fig(("shortage_costs", f"{m}:3", "usd_per_t"), t3, "assumed", "DMG1",
            "tier 3 (60-100%): lost output, price x max(10 x premium, 10); the 2025 magnet-shortage stoppages (Ford "
            "Explorer a week, Suzuki Swift 26 May-13 Jun) show lines stop, but no stored source gives the output or "
            "material per vehicle to calibrate value added per tonne")
        tiers += [{"mineral": m, "tier": 1, "up_to_share_of_demand": 0.25, "usd_per_t": t1},
                  {"mineral": m, "tier": 2, "up_to_share_of_demand": 0.6, "usd_per_t": t2},
                  {"mineral": m, "tier": 3, "up_to_share_of_demand": 1.0, "usd_per_t": t3}]
    demand, supply = [], []
    for p, rows in (("US", us_demand()), ("JP", jp_demand()), ("KR", kr_demand()), ("EU", eu_demand())):
        fig(("demand", f"{p}:*", "programme_fixed_usd_per_yr"), *programme_fixed(p))
        if p == "EU":
            fig(("demand", "EU:*", "existing_stock_t"), *existing_stock(p, "", 0))
        for m in MINERALS:
            if p not in MAGNET_ONLY.get(m, PARTIES):
                continue
            v, st, key, note, nir = rows[m]
            fig(("demand", f"{p}:{m}", "consumption_t_per_yr"), v, st, key, note)
            if p == "EU" and m in ("Co", "Li2CO3", "Ni"):
                nir = 0.78
            fig(("demand", f"{p}:{m}", "net_import_reliance"), nir, *nir_basis(p, m, nir))
            # one decision for all of a party's rows is one figure (its row `P:*`): the EU's stock, every fixed cost
            stock_t, *label = existing_stock(p, m, v)
            stock = stock_t if p == "EU" else fig(("demand", f"{p}:{m}", "existing_stock_t"), stock_t, *label)
            fixed = programme_fixed(p)[0]
            demand.append({"party": p, "mineral": m, "consumption_t_per_yr": v, "net_import_reliance": nir,
                           "existing_stock_t": stock, "programme_fixed_usd_per_yr": fixed})
            for supplier, share, key, note in _suppliers(p, m, nir):
                share = fig(("supply", f"{p}:{m}:{supplier}", "share"), round(share, 3), "derived", key, note)
                supply.append({"party": p, "mineral": m, "supplier": supplier, "share": share})
    options = pd.DataFrame([
        {"option": "slow", "max_release_share_per_month": 0.1, "usd_per_t_yr": 0},
        {"option": "standard", "max_release_share_per_month": 0.25, "usd_per_t_yr": 5},
        {"option": "surge", "max_release_share_per_month": 1.0, "usd_per_t_yr": 25},
    ])
    for o in options.itertuples():
        fig(("release_options", o.option, "max_release_share_per_month"), o.max_release_share_per_month, "assumed", "I5",
            "release capacity options; KOMIR aims at emergency release within 8 days (I5), which 'surge' represents")
    scenarios, events = _scenarios()
    return {"settings": settings, "parties": pd.DataFrame(parties), "minerals": pd.DataFrame(minerals),
            "demand": pd.DataFrame(demand), "supply": pd.DataFrame(supply), "shortage_costs": pd.DataFrame(tiers),
            "release_options": options, "scenarios": scenarios, "events": events, "world_supply": world_supply(),
            **products(demand, tiers), "history": history()}


# Products: minerals that go into the same product are lost together (Leontief: the product's output falls to the
# share of its scarcest input), so a month without it is one loss, not one per mineral.
# Magnets: NdPr, Dy and Tb; the shares of each party's demand that go into magnets are assumed (magnets are the main
# use of NdPr and nearly the only one of Dy and Tb; no stored source gives the split by party).
MAGNET_SHARES = {"NdPr": 0.9, "Dy": 1.0, "Tb": 1.0}
# Battery cells: lithium (cathode and electrolyte) and graphite (the anode) are in every lithium-ion cell; cobalt and
# nickel only in NMC/NCA cells (LFP needs neither), so tying them to every cell would overstate: they keep their tiers.
LI_BATTERY_SHARE = (0.87, "sourced", "U8", "batteries are 87% of global lithium end use (USGS MCS 2025), the world's "
                    "mix taken for each party")
GRAPHITE_BATTERY_SHARE = {  # party: (share, status, key, note)
    "KR": (1.0, "derived", "F3,GR1", "Korea's graphite row is its spherical graphite imports, which is anode material"),
    "JP": (1.0, "derived", "U4,F3", "Japan's graphite row is its share of China's spherical graphite exports, which "
           "is anode material"),
    "US": (0.3, "assumed", "U4", "USGS lists batteries among the uses of natural graphite with refractories, foundry, "
           "brake linings and lubricants, without shares: 30% assumed"),
    "EU": (0.3, "assumed", "ECGA", "no split of the EU's natural graphite imports by use found: 30% to batteries "
           "assumed, as for the US"),
}
CELL_USD_PER_KWH = (115, "BAT1", "lithium-ion pack price $115/kWh, 2024 average (BloombergNEF survey)")
LCE_KG_PER_KWH = ((0.6 + 1.3) / 2, "BAT2", "0.6-1.3 kg LCE per kWh across cathodes with a graphite anode (Argonne "
                  "National Laboratory, Gaines 2009): midpoint (0.6 + 1.3) / 2 = 0.95")


def products(demand: list[dict], tiers: list[dict]) -> dict[str, pd.DataFrame]:
    """products and product_inputs per party: 'magnets' (NdPr, Dy, Tb), a month of which is valued at what the
    workbook's lost-output tier (NdPr tier 3) gives a month of NdPr in magnets (no output value is published: see
    docs/sources.md); 'battery_cells' (Li2CO3, graphite), a month of which is valued at the cells its lithium makes:
    lithium in batteries / kg LCE per kWh x the pack price (the cells' own value: the vehicles they go into are not
    counted, so a lower bound of the loss)."""
    top = next(t["usd_per_t"] for t in tiers if t["mineral"] == "NdPr" and t["tier"] == 3)
    use = {(d["party"], d["mineral"]): d["consumption_t_per_yr"] for d in demand}
    products, inputs = [], []

    def add_input(p: str, k: str, m: str, share: float, status: str, key: str, note: str) -> None:
        fig(("product_inputs", f"{p}:{k}:{m}", "share_of_demand"), share, status, key, note)
        inputs.append({"party": p, "product": k, "mineral": m, "share_of_demand": share})

    for p in PARTIES:
        if (p, "NdPr") in use:
            share = MAGNET_SHARES["NdPr"]
            value = fig(("products", f"{p}:magnets", "lost_value_usd_per_month"),
                        round(share * use[p, "NdPr"] / 12 * top), "derived", "DMG1",
                        f"{share:g} x {use[p, 'NdPr']:,.0f} t/yr NdPr / 12 x ${top:,}/t (NdPr's lost-output tier): a "
                        "month of magnets lost costs what the workbook gives a month of their NdPr")
            products.append({"party": p, "product": "magnets", "lost_value_usd_per_month": value,
                             "notes": "NdPr, Dy and Tb go into the same magnets: one loss, not three"})
            for m, s in MAGNET_SHARES.items():
                if (p, m) in use:
                    add_input(p, "magnets", m, s, "assumed", "",
                              f"share of {p}'s {m} demand that goes into magnets (no published split by party)")
        if (p, "Li2CO3") in use:
            li_share, st, key, note = LI_BATTERY_SHARE
            usd_kwh, ckey, cnote = CELL_USD_PER_KWH
            kg_kwh, bkey, bnote = LCE_KG_PER_KWH
            li_t = li_share * use[p, "Li2CO3"]
            value = fig(("products", f"{p}:battery_cells", "lost_value_usd_per_month"),
                        round(li_t * 1000 / kg_kwh * usd_kwh / 12), "derived", f"{key},{ckey},{bkey}",
                        f"{li_share:g} x {use[p, 'Li2CO3']:,.0f} t LCE/yr in batteries x 1,000 kg/t / {kg_kwh:g} kg LCE "
                        f"per kWh ({bnote}) x ${usd_kwh}/kWh ({cnote}) / 12 months: the cells' own value, a lower bound "
                        "(the vehicles and storage they go into are not counted)")
            products.append({"party": p, "product": "battery_cells", "lost_value_usd_per_month": value,
                             "notes": "every lithium-ion cell needs lithium and a graphite anode: one loss, not two"})
            add_input(p, "battery_cells", "Li2CO3", li_share, st, key, note)
            if (p, "Graphite") in use:
                add_input(p, "battery_cells", "Graphite", *GRAPHITE_BATTERY_SHARE[p])
    return {"products": pd.DataFrame(products), "product_inputs": pd.DataFrame(inputs)}


def world_supply() -> pd.DataFrame:
    """Per mineral: China's share of refining (it controls the exports of every mineral here: a Chinese embargo
    reaches cobalt and nickel through their refining), which does not sell to its rivals' stockpiles, and the rest of
    the world, which does (the DRC and Indonesia among them: their ore bans raise prices and move refining home, they
    do not deny rivals)."""
    rows = []
    for m, (world, _st, wkey, _note) in WORLD.items():
        who = "CN"
        share, skey, snote = CN_REFINING[m]
        held = fig(("world_supply", f"{m}:{who}", "t_per_yr"), round(world * share), "derived", f"{wkey},{skey}",
                   f"world {world:,} t/yr x {share:.1%} ({snote})")
        rest = fig(("world_supply", f"{m}:ROW", "t_per_yr"), world - held, "derived", f"{wkey},{skey}",
                   f"world {world:,} t/yr - {held:,} t/yr from {who}"
                   + (f"; the {ORE[m][0]}'s ore is sold to all (its export bans raise prices, they do not target "
                      "rivals)" if m in ORE else ""))
        fig(("world_supply", f"{m}:{who}", "sells_to_stockpiles"), "no", "assumed", "",
            f"{who} restricts exports of {m} (the events sheet): it does not sell to its rivals' stockpiles")
        rows += [{"mineral": m, "supplier": who, "t_per_yr": held, "sells_to_stockpiles": "no"},
                 {"mineral": m, "supplier": "ROW", "t_per_yr": rest, "sells_to_stockpiles": "yes"}]
    return pd.DataFrame(rows)


def _suppliers(p, m, nir):
    """Embedded dependence: NIR x max(China's share of the party's imports, China's share of world refining); for
    cobalt and nickel China's share of the party's refined supply (REFINED_CN, else of world refining), and the ore
    supplier's share of the rest (refined elsewhere from the DRC's or Indonesia's ore, the world's mix)."""
    if m in ORE:
        ore, (ore_share, okey, onote) = ORE[m]
        cn, ckey, cnote = REFINED_CN.get((p, m)) or CN_REFINING[m]
        return [("CN", nir * cn, ckey, f"NIR {nir} x China's share {cn:.1%} of refined {m} ({cnote})"),
                ("CD" if ore == "CD" else "ID", nir * (1 - cn) * ore_share, f"{ckey},{okey}",
                 f"NIR {nir} x (1 - {cn:.3f} refined in China) x {onote} = the rest refined elsewhere from its ore")]
    refining, rkey, rnote = CN_REFINING[m]
    direct = DIRECT_CN.get((p, m))
    share = nir * max(direct or 0.0, refining)
    note = f"NIR {nir} x max(China share of {p} imports {direct if direct is not None else 'n/a'}, {rnote})"
    key = ",".join(k for k in (DIRECT_KEY[p] if direct is not None else "", rkey) if k)
    return [("CN", share, key, note)]


# Annual probability of each scenario = measures of its class in the catalogue / years of the catalogue.
CATALOGUE_YEARS = 16  # 2010-2025
CATALOGUE = {
    "ree_japan_2010": (1, "2010 embargo on Japan"),
    "ga_ge_2023": (1, "Aug 2023 Ga/Ge licensing, escalated by the Dec 2024 US-only ban"),
    "graphite_2023": (1, "Dec 2023 graphite licensing"),
    "antimony_2024": (1, "Sep 2024 Sb licensing"),
    "tungsten_2025": (1, "Feb 2025 W licensing"),
    "hree_magnets_2025": (1, "Apr 2025 heavy-REE and magnet licensing"),
    "japan_dual_use_2026": (1, "Jan 2026 dual-use ban on Japan (announced at the end of the window)"),
    "drc_cobalt_2025": (1, "Feb 2025 DRC cobalt ban"),
    "nickel_indonesia": (2, "Indonesian ore bans of 2014 and 2020"),
    "battery_controls": (1, "Oct 2025 battery-material announcements"),
}
SEVERE_P = 0.02
# How long a measure lasts, from the history sheet (HISTORY below): each measure's phases from its first start to its
# last end, a measure still in force counted as lasting at least to AS_OF (censored, not ended), the distribution
# estimated by Kaplan-Meier, and what outlasts the last ended length put at the model's horizon. When a measure
# starts its length is not known: the rules must work for every length.
AS_OF = "2026-01"  # the history sheet's last documented month
HORIZON_MONTHS = 24
MEASURE_OF = {"ree_quota_2010": "ree_japan_2010", "ga_ge_2023_licensing": "ga_ge_2023",
              "ge_2024_licensing": "ga_ge_2023", "graphite_2024_licensing": "graphite_2023",
              "antimony_2025_licensing": "antimony_2024", "hree_2025": "hree_magnets_2025",
              "hree_2025_licensing": "hree_magnets_2025", "magnets_2025": "hree_magnets_2025",
              "drc_cobalt_2025_quota": "drc_cobalt_2025"}  # a later phase of a measure -> the measure


def _month(ym: str) -> int:
    year, month = ym.split("-")
    return 12 * int(year) + int(month) - 1


def measure_lengths(supplier: str) -> dict[str, tuple[int, bool]]:
    """The supplier's measures in HISTORY: months from the first phase's start to the last phase's end (both
    included), and whether it ended (False: in force at AS_OF, so at least that long)."""
    phases: dict[str, list[tuple[int, int, bool]]] = {}  # measure -> (first month, last month, ended) per phase
    for event, u, _minerals, _targets, start, end, *_rest in HISTORY:
        if u == supplier:
            phases.setdefault(MEASURE_OF.get(event, event), []).append(
                (_month(start), _month(end or AS_OF), bool(end)))
    return {m: (max(last for _f, last, _e in ps) - min(first for first, _l, _e in ps) + 1, all(e for *_fl, e in ps))
            for m, ps in phases.items()}


def kaplan_meier(lengths: dict[str, tuple[int, bool]], horizon: int = HORIZON_MONTHS) -> tuple[tuple[int, float], ...]:
    """(months, probability) of each ended length (Kaplan-Meier: at a tie, ends before censorings), the rest of the
    probability at `horizon` (the measures that outlast every ended one: in force, at least as long as they are)."""
    at_risk, survive, out = len(lengths), 1.0, []
    for t in sorted({d for d, ended in lengths.values() if ended}):
        gone = sum(1 for d, _e in lengths.values() if d < t)  # ended or censored before t
        ends = sum(1 for d, e in lengths.values() if d == t and e)
        n = at_risk - gone
        out.append((min(t, horizon), survive * ends / n))
        survive *= 1 - ends / n
    if survive > 1e-12:
        out.append((horizon, survive))
    merged: dict[int, float] = {}
    for t, q in out:
        merged[t] = merged.get(t, 0.0) + q
    return tuple(merged.items())


def lengths_note(supplier: str = "CN") -> str:
    ls = measure_lengths(supplier)
    ended = ", ".join(f"{d}" for d, e in sorted(ls.values()) if e)
    open_ = ", ".join(f"{d}" for d, e in sorted(ls.values()) if not e)
    km = kaplan_meier(ls)
    return (f"{len(ls)} measures of the history sheet (the keys of this row); ended after {ended or 'none'} months; in "
            f"force at {AS_OF} after {open_ or 'none'} (at least that long); Kaplan-Meier: the cut lasts "
            + "/".join(str(t) for t, _q in km) + " months in total with probabilities "
            + "/".join(f"{q:.4f}" for _t, q in km) + f" (what outlasts the longest ended measure put at the "
            f"{HORIZON_MONTHS}-month horizon)")


LENGTH_NOTE = ("this phase lasts {dur} months with probabilities {probs}: the {before} month(s) before it taken off "
               "the total length of a Chinese measure (at least 1 month; equal lengths merged): {lengths}")
# shocks whose length is unknown when they start: scenario -> its continuing event (1-based)
UNCERTAIN = {"ree_japan_2010": 2, "ga_ge_2023": 2, "graphite_2023": 2, "antimony_2024": 2,
             "tungsten_2025": 1, "hree_magnets_2025": 2, "japan_dual_use_2026": 1, "battery_controls": 1,
             "severe_embargo": 1}
HISTORY_KEYS = "H1,H2,M1,G2,G3,G4,F3,GR1,U4,R2,R3,R4,GR2,F7,BT1,F2,M3,E9,RE1,RE2,JP1,JP2"


def uncertain_phase(start: int, horizon: int = HORIZON_MONTHS) -> tuple[str, str]:
    """The last phase's durations and probabilities so that the cut lasts as long as a Chinese measure of the
    history sheet does (kaplan_meier; at least to its start month); equal durations merged."""
    merged: dict[int, float] = {}
    for total, q in kaplan_meier(measure_lengths("CN"), horizon):
        d = max(1, min(total, horizon) - (start - 1))
        merged[d] = merged.get(d, 0.0) + q
    qs = [round(q, 4) for q in merged.values()]
    qs[-1] = round(1.0 - sum(qs[:-1]), 4)  # the rounded probabilities sum to 1
    return ",".join(map(str, merged)), ",".join(f"{q:g}" for q in qs)


def nickel_months() -> int:
    """Indonesia's ore bans of the history sheet, each longer than the horizon (36 months, and in force since 2020):
    the cut lasts to the horizon."""
    (t, q), *rest = kaplan_meier(measure_lengths("ID"))
    assert not rest and q == 1.0, "an Indonesian ban ended within the horizon: give the scenario a length list"
    return t


def ore_reaches_refiner(m: str, phases: list[tuple]) -> list[tuple]:
    """The ore supplier's cut as it reaches China's refiners: each phase's cut x the ore supplier's share of world
    mine output (China's feed taken as the world's mix: an assumption the note of each event says)."""
    _ore, (share, _key, _note) = ORE[m]
    return [("CN", m, ts, start, dur, round(cut * share, 3), rm, rs) for ts, start, dur, cut, rm, rs in phases]


# The US-only ban (Dec 2024) came 16 months into the Ga/Ge controls (Aug 2023), so it is their third phase, not a
# scenario of its own (which would count its months twice); it ran 11 months, past the 24-month horizon from month 17.
US_BAN_START = _month("2024-12") - _month("2023-08") + 1


def _scenarios():
    REE = "NdPr,Dy,Tb,Y"
    S = [  # id, probability, description, key, events: (supplier, minerals, targets, start, dur, cut, rec_m, rec_s)
        ("ree_japan_2010", 0.03, "Rare-earth embargo on Japan (2010): 2 months halt, then a 40% quota cut (its length "
         "uncertain)",
         "H1,H2", [("CN", REE, "JP", 1, 2, 1.0, 0, 0), ("CN", REE, "JP", 3, 10, 0.4, 0, 0)]),
        ("ga_ge_2023", 0.10, "Ga/Ge licensing (Aug 2023): exports zero for 2 months, then -73%/-87% (its length "
         "uncertain); overlapped, as in history, by the US-only ban on Ga, Ge, Sb from month 17 (Dec 2024) to the "
         "horizon", "G2,G3,F7",
         [("CN", "Ga,Ge", "*", 1, 2, 1.0, 0, 0), ("CN", "Ga,Ge", "*", 3, 10, 0.75, 6, 0.3),
          ("CN", "Ga,Ge,Sb", "US", US_BAN_START, HORIZON_MONTHS - US_BAN_START + 1, 1.0, 0, 0)]),
        ("graphite_2023", 0.10, "Graphite licensing (Dec 2023): -93% for 3 months, then -25% (its length uncertain)",
         "F3,GR1", [("CN", "Graphite", "*", 1, 3, 0.93, 0, 0), ("CN", "Graphite", "*", 4, 6, 0.25, 0, 0)]),
        ("antimony_2024", 0.08, "Antimony licensing (Sep 2024): -95% for 6 months, then -74% (its length uncertain)",
         "R4", [("CN", "Sb", "*", 1, 6, 0.95, 0, 0), ("CN", "Sb", "*", 7, 12, 0.74, 6, 0.3)]),
        ("tungsten_2025", 0.08, "Tungsten licensing (Feb 2025): China exports -40%, ongoing (its length uncertain)",
         "F2,M3", [("CN", "W", "*", 1, 24, 0.4, 12, 0.3)]),
        ("hree_magnets_2025", 0.10, "Heavy REE and magnet licensing (Apr 2025): Dy/Tb/Y exports zero for 2 months, "
         "then -35% (its length uncertain); magnets (NdPr) -74% for 3 months", "E9,RE2",
         [("CN", "Dy,Tb,Y", "*", 1, 2, 1.0, 0, 0), ("CN", "Dy,Tb,Y", "*", 3, 10, 0.35, 0, 0),
          ("CN", "NdPr,NdFeB", "*", 1, 3, 0.74, 0, 0)]),
        ("japan_dual_use_2026", 0.05, "Dual-use ban on Japan (Jan 2026): heavy-REE and magnet licences halted (its "
         "length uncertain)",
         "JP1", [("CN", REE, "JP", 1, 12, 0.9, 6, 0.2)]),
        ("drc_cobalt_2025", 0.05, "DRC cobalt export ban (Feb 2025): 8 months, then quota at -56%; China's refiners "
         "lose the DRC's share of their ore too", "Z1,F5,U7",
         [("CD", "Co", "*", 1, 8, 1.0, 4, 0.3), ("CD", "Co", "*", 9, 16, 0.56, 0, 0),
          *ore_reaches_refiner("Co", [("*", 1, 8, 1.0, 4, 0.3), ("*", 9, 16, 0.56, 0, 0)])]),
        ("nickel_indonesia", 0.02, "Indonesian nickel export restriction (modelled on the 2014/2020 ore bans, both "
         "longer than the horizon): -50% to the horizon; China's refiners lose Indonesia's share of their ore too",
         "N3,U9", [("ID", "Ni", "*", 1, nickel_months(), 0.5, 6, 0.5),
                   *ore_reaches_refiner("Ni", [("*", 1, nickel_months(), 0.5, 6, 0.5)])]),
        ("battery_controls", 0.03, "Battery-material controls (modelled on the Oct 2025 announcements): lithium and "
         "graphite -50% (its length uncertain)",
         "PL1", [("CN", "Li2CO3,Graphite", "*", 1, 12, 0.5, 6, 0.3)]),
        ("severe_embargo", 0.02, "Severe embargo: China halts every mineral to every party, for as long as its "
         "measures last (uncertain, up to the 24-month horizon); other sources recover 30% within a year", "",
         [("CN", "*", "*", 1, 24, 1.0, 12, 0.3)]),
    ]
    scen, ev = [], []
    for sid, _judged, desc, key, events in S:
        if sid in CATALOGUE:
            n, which = CATALOGUE[sid]
            prob = fig(("scenarios", sid, "probability_per_yr"), round(n / CATALOGUE_YEARS, 4), "derived", key,
                       f"frequency in the 2010-2025 event catalogue (the keys of this row): {n} measure(s) of this class "
                       f"({which}) / {CATALOGUE_YEARS} years")
        else:
            prob = fig(("scenarios", sid, "probability_per_yr"), SEVERE_P, "assumed", key,
                       "STRESS CASE: no precedent in the 2010-2025 catalogue; 0.02/yr is a stated assumption")
        scen.append({"scenario": sid, "probability_per_yr": prob, "description": desc})
        for i, (u, ms, ts, start, dur, cut, rm, rs) in enumerate(events, 1):
            probs = None
            if UNCERTAIN.get(sid) == i:  # the continuing phase: how long it lasts is not known
                dur, probs = uncertain_phase(start)
                fig(("events", f"{sid}#{i}", "duration_months,duration_probabilities"), f"{dur} / {probs}",
                    "derived", HISTORY_KEYS,
                    LENGTH_NOTE.format(dur=dur.replace(",", "/"), probs=probs.replace(",", "/"), before=start - 1,
                                       lengths=lengths_note()))
            note = desc
            if u == "CN" and ms in ORE:  # an ore supplier's cut as it reaches China's refiners
                ore, (share, _k, onote) = ORE[ms]
                note = (f"{desc}: at China's refiners the {ore} cut x {onote} = {cut} (China's ore taken as the "
                        "world's mix, assumed)")
            fig(("events", f"{sid}#{i}", "cut,duration_months"), f"{cut}/{dur}", "derived" if key else "assumed", key,
                note)
            ev.append({"scenario": sid, "supplier": u, "minerals": ms, "targets": ts, "start_month": start,
                       "duration_months": dur, "duration_probabilities": probs, "cut": cut, "recovery_months": rm,
                       "recovery_share": rs})
    return pd.DataFrame(scen), pd.DataFrame(ev)


# The cuts that happened (the event catalogue, ../shared/data/SOURCES.md section 7), month by month, for
# `stockpile backtest`. A phase of a measure is a row of its own (its depth changed); a blank end = still in force.
# Cuts are the shares of the supplier's exports lost that the keys report; the backtest replays them as they stand.
HISTORY = [  # event, supplier, minerals, targets, start, end, cut, keys, what the keys say
    ("ree_japan_2010", "CN", "NdPr,Dy,Tb,Y", "JP", "2010-09", "2010-10", 1.0, "H1,H2",
     "unannounced embargo on Japan after the trawler clash, about 2 months"),
    ("ree_quota_2010", "CN", "NdPr,Dy,Tb,Y", "JP", "2010-11", "2011-08", 0.4, "H1,M1",
     "2010 quota ~30,000 t vs 50,000 t (-40%); price spike about a year"),
    ("ga_ge_2023", "CN", "Ga,Ge", "*", "2023-08", "2023-09", 1.0, "G2,G3",
     "Aug 2023 exports 0; first licences 21 Sep 2023"),
    ("ga_ge_2023_licensing", "CN", "Ga,Ge", "*", "2023-10", "2023-12", 0.73, "G3,G4",
     "Nov 2023 Ga exports -73% y/y (Ge -87%)"),
    ("ge_2024_licensing", "CN", "Ge", "*", "2024-01", "", 0.3, "G4",
     "Ge exports 2024 -30% (29.4 t); licensing continuing (Ga recovered in 2024, +55%)"),
    ("graphite_2023", "CN", "Graphite", "*", "2023-12", "2024-02", 0.93, "F3,GR1",
     "Dec 2023 flake -93.9%, spherical -92.2% m/m; acute 2-3 months"),
    ("graphite_2024_licensing", "CN", "Graphite", "*", "2024-03", "2024-08", 0.25, "U4",
     "Jan-Aug 2024 -25% / -28% y/y"),
    ("antimony_2024", "CN", "Sb", "*", "2024-10", "2024-12", 0.95, "R2,R3",
     "Oct 2024 190 t vs 6,533 t (-97% m/m; -95% y/y)"),
    ("antimony_2025_licensing", "CN", "Sb", "*", "2025-01", "", 0.74, "R4,GR2",
     "H1 2025 -74%; no shipments to Europe for 5+ months; ongoing"),
    ("us_ban_2024", "CN", "Ga,Ge,Sb", "US", "2024-12", "2025-10", 1.0, "F7,BT1",
     "ban on exports to the US (Ann. 2024 No. 46), suspended 9 Nov 2025"),
    ("tungsten_2025", "CN", "W", "*", "2025-02", "", 0.4, "F2,M3", "China W export volume -40%; ongoing"),
    ("hree_2025", "CN", "Dy,Tb,Y", "*", "2025-04", "2025-05", 1.0, "E9,RE1", "Dy/Tb exports 0 in May 2025"),
    ("hree_2025_licensing", "CN", "Dy,Tb,Y", "*", "2025-06", "", 0.35, "RE2",
     "2025 Dy exports -35%, Tb -38%; not suspended"),
    ("magnets_2025", "CN", "NdPr,NdFeB", "*", "2025-04", "2025-06", 0.74, "E9", "magnet exports May 2025 -74% y/y"),
    ("japan_dual_use_2026", "CN", "NdPr,Dy,Tb,Y", "JP", "2026-01", "", 0.9, "JP1,JP2",
     "no dual-use exports for Japanese military end use; heavy-REE and magnet licence reviews broadly halted"),
    ("nickel_ore_2014", "ID", "Ni", "*", "2014-01", "2016-12", 0.5, "N3",
     "Indonesian ore export ban Jan 2014 - Jan 2017 (~26% of world ore supply); cut as the nickel_indonesia scenario"),
    ("nickel_ore_2020", "ID", "Ni", "*", "2020-01", "", 0.5, "N3,N4,N5",
     "ore export ban re-imposed 1 Jan 2020; in force; cut as the nickel_indonesia scenario"),
    ("drc_cobalt_2025", "CD", "Co", "*", "2025-02", "2025-10", 1.0, "Z1,F5",
     "DRC export ban 22 Feb - 15 Oct 2025"),
    ("drc_cobalt_2025_quota", "CD", "Co", "*", "2025-11", "", 0.56, "U7,Z1",
     "quota 96,600 t/yr for 2026-27 vs ~220,000 t output in 2024 (-56%)"),
]


def history() -> pd.DataFrame:
    rows = []
    for event, u, ms, ts, start, end, cut, key, note in HISTORY:
        fig(("history", event, "start,end,cut"), f"{start}..{end or 'in force'} / {cut}", "sourced", key, note)
        rows.append({"event": event, "supplier": u, "minerals": ms, "targets": ts, "start": start,
                     "end": end or None, "cut": cut, "source": key})
    return pd.DataFrame(rows)


NOT_FOUND = [
    "The running costs of a joint stockpile (secretariat, storage sites) and DLA Strategic Materials' operating "
    "budget (searched: NDS Transaction Fund reports to Congress, DoD revolving-fund justifications, GAO-01-17): "
    "settings.pool_fixed_usd_per_yr is derived from DLA's staff count (~80 people for 28 commodities, 2010) at an "
    "assumed $150,000 a staff-year.",
    "Separate NdPr, Dy, Tb and Y consumption for any party (USGS, JNMA, Eurostat and MKE report rare earths in "
    "total): each party's REO tonnage is split by the element's share of world output (REE_SPLIT), which takes the "
    "national mix to be the world's (a magnet maker such as Japan uses more Dy than that).",
    "Tonnages still assumed, with the searches that failed: Japanese germanium (JOGMEC material flow, MoF imports by "
    "HS 8112.92); Korean gallium, germanium, tungsten and nickel (Korea Customs by HS code, KOMIR, KITA); EU "
    "germanium, tungsten and cobalt (Eurostat Comext, JRC CRM 2020/2023 factsheets, MSP-REFRAM D1.1, Cobalt "
    "Institute): the stored pages give shares, values or forecasts, not tonnages. A Korean rare-earth tonnage after "
    "2009 and an EU nickel total after 2002 were not found either (the rows use those years).",
    "A magnet price (NdFeB) and the output or magnet content per vehicle or motor needed to calibrate lost output; the value of "
    "a month of magnets is therefore derived from NdPr's lost-output tier, and the shares of NdPr, Dy and Tb demand that "
    "go into magnets are assumed (0.9, 1, 1).",
    "EU import reliance for antimony and tungsten.",
    "NDS inventories by material (searched: USGS MCS 2025 'Government Stockpile' sections, which since 2024 give "
    "only the Annual Materials Plan's potential acquisitions and disposals; CRS R47833, which gives $912.3 m of "
    "material in total; DLA news releases): a US row holds what a disposal authority or an order implies (Ge, W, Sb), "
    "0 where USGS says 'None' or 'Not available' (Ga, Li, graphite), else 0 as a lower bound.",
    "JOGMEC's holdings by metal (secret by policy, I4): Japan's rows take its 42-day national target as held "
    "(assumed; the group 'existing stocks (JOGMEC's secret)' re-solves them at 0.5x and 2x). KOMIR/PPS cover by "
    "metal beyond Li, Nd and Dy: the PPS's average cover (40 days of rare metals, 55 of non-ferrous) is taken for each.",
    "China's cobalt and nickel feed by origin: the DRC's and Indonesia's cuts reach China's refiners at their share "
    "of world mine output (76%, 59.5%), China's feed taken as the world's mix. China's share of Japanese, Korean and "
    "EU refined cobalt and nickel imports (Japan MoF, Korea Customs, Eurostat Comext by HS 8105 and 7502): China's "
    "share of world refining is used; the US's comes from its USGS import sources.",
    "Output values by party for semiconductors and optical fibre (Ga, Ge) and for munitions and alloys (W, Sb), and "
    "the shares of those minerals' demand that go into each (searched: USGS end-use statements, JRC CRM factsheets, "
    "SIA/WSTS output, METI and MOTIE production statistics): without a value a month of them lost cannot be priced "
    "apart from the minerals' own shortage tiers, so they are not products in this workbook; battery cells are "
    "valued from the BloombergNEF pack price and Argonne's lithium intensity, magnets from NdPr's tier. The split of "
    "US and EU natural graphite by use (batteries 30% assumed).",
    "A published cost-of-capital rate for public stockpiles (the holding rate is an assumed 5%/yr).",
]


def write_legend(path: Path) -> Path:
    """docs/sources.md: every key the workbook cites, with its URL, and the counts by sheet and status."""
    used = sorted({k for r in SOURCES for k in r["source_key"].split(",") if k})
    frame = pd.DataFrame(SOURCES)
    counts = frame.pivot_table(index="sheet", columns="status", values="value", aggfunc="size", fill_value=0)
    lines = ["# Sources of the bundled workbook", "",
             "Written by `python inputs/build_trilateral_2025.py` with `inputs/trilateral_2025.xlsx`; do not edit "
             "by hand. The workbook's `sources` sheet lists every figure (sheet, row, column, value) as sourced "
             "(cited), derived (arithmetic on cited figures, given in its note) or assumed (no published figure; "
             "the reason in its note), with the keys below. (S) in a note marks a secondary report.", "",
             "## Figures by sheet and status", "", "| sheet | " + " | ".join(counts.columns) + " |",
             "| --- |" + " --- |" * len(counts.columns)]
    lines += [f"| {sheet} | " + " | ".join(str(int(v)) for v in row) + " |" for sheet, row in counts.iterrows()]
    lines += ["", "## Source keys", "", "| key | URL |", "| --- | --- |"]
    lines += [f"| {k} | {URLS.get(k, 'the USGS MCS 2025 chapters of that range (U1 ... U9 above)')} |" for k in used]
    lines += ["", "## Looked for and not found", "", *[f"- {x}" for x in NOT_FOUND], ""]
    path.write_text("\n".join(lines))
    return path


def main(out: Path | None = None) -> None:
    out = out or Path(__file__).with_name("trilateral_2025.xlsx")
    sheets = build()
    readme = pd.DataFrame({"README": [
        f"stockpile default workbook: US, Japan, Korea, EU; {len(sheets['minerals'])} minerals; "
        f"{len(sheets['scenarios'])} disruption scenarios.",
        "Built by inputs/build_trilateral_2025.py; do not edit by hand. Source keys: docs/sources.md.",
        "The 'sources' sheet lists every figure with its status: sourced (cited), derived (arithmetic on cited",
        "figures, given in the note) or assumed (no public figure; the reason is in the note).",
        "Assumptions to revisit first: shortage-cost tiers, scenario probabilities, REE element shares, and",
        "Japanese/Korean/EU tonnages where none is published (docs/sources.md lists what was not found).",
    ]})
    with pd.ExcelWriter(out, engine="openpyxl") as xl:
        readme.to_excel(xl, sheet_name="README", index=False)
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
        sources = pd.DataFrame(SOURCES)
        sources["group"] = [assumption_group(r) for r in SOURCES]
        sources["low"], sources["high"] = None, None  # blank: 0.5x and 2x
        sources.to_excel(xl, sheet_name="sources", index=False)
    legend = write_legend(Path(__file__).resolve().parents[1] / "docs" / "sources.md")
    print(f"wrote {legend}")
    print(f"wrote {out} ({len(SOURCES)} figures: "
          + ", ".join(f"{s} {sum(r['status'] == s for r in SOURCES)}" for s in ("sourced", "derived", "assumed")) + ")")


if __name__ == "__main__":
    main()
