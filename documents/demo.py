"""Realistic demo board papers, rendered as PDF with WeasyPrint.

Used by ``manage.py seed_demo``. Each paper looks like a real one: a header with the
organisation and meeting, title, author and purpose, a summary and recommendations, a table
of figures and a few sections of text, with page numbers. Text is picked from a bank of
sentences with a random generator seeded by the paper's reference, so the same paper always
comes out the same.

Nothing is fetched while rendering: the stylesheet is inline, fonts are the system's and the
URL fetcher refuses every URL.
"""

from __future__ import annotations

import html
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

# Sections after the first two pages; each starts on a new page, so a paper's page count is
# exactly the one asked for.
SECTIONS = (
    "Background",
    "Current position",
    "Options considered",
    "Financial implications",
    "Risks and mitigations",
    "Equality, diversity and inclusion",
    "Consultation and next steps",
)
MAX_PAGES = 2 + len(SECTIONS)

SENTENCES = (
    "The trust's income has held up better than forecast, largely because two statutory contracts were renewed "
    "on improved terms.",
    "Demand for the advice service continues to exceed the capacity the current staffing model can provide.",
    "The senior leadership team has reviewed the proposal and supports it, subject to the conditions set out below.",
    "Trustees will recall that the board asked for a fuller assessment of the options before reaching a decision.",
    "Volunteer numbers have recovered to their pre-pandemic level, although retention beyond six months remains "
    "a concern.",
    "The Finance & Audit Committee considered an earlier draft of this paper and its comments have been incorporated.",
    "Unrestricted reserves stand at 4.2 months of operating expenditure, within the range set by the reserves policy.",
    "The most significant uncertainty is the outcome of the local authority's commissioning review, expected "
    "in the spring.",
    "Staff have been briefed and the recognised union has been consulted in line with our agreed procedure.",
    "The cost of the preferred option can be met from the designated fund for service development.",
    "External advice has been taken where the board's own expertise was limited, and is summarised in the appendix.",
    "Beneficiary feedback gathered through the autumn survey was broadly positive, with 87% rating the service "
    "good or excellent.",
    "Energy costs at the community centre remain volatile; the fixed-price contract ends in nine months.",
    "The proposal is consistent with the strategic plan approved by the board and with our charitable objects.",
    "No trustee has a personal interest in this matter beyond those already recorded in the register.",
    "Progress against the action plan is tracked monthly by the executive team and reported to each meeting.",
    "A fuller equality impact assessment will be completed before implementation and shared with the board.",
    "The risk has been reassessed in the light of recent sector incidents and the score raised accordingly.",
    "Management accounts have been prepared on the same basis as the statutory accounts, without accruals for "
    "legacies.",
    "Officers recommend a phased approach, which spreads the cost and allows the board to review progress at "
    "each stage.",
    "Fundraising performance is ahead of target for trusts and foundations but behind for individual giving.",
    "The charity's insurers have been notified and have confirmed that the existing policy provides cover.",
    "Partners in the wider community network have expressed support and offered to share referral data.",
    "The timetable allows for a final decision at the next meeting should trustees wish to defer.",
    "Safeguarding training compliance has reached 96% across staff and 81% across active volunteers.",
    "We expect the Charity Commission's revised guidance to require minor changes to our governance documents.",
)


@dataclass(frozen=True)
class PaperSpec:
    """Everything that appears on one demo paper."""

    title: str
    author: str
    purpose: str  # "For decision" …
    organisation: str
    meeting: str  # "Board of Trustees — Trustees' meeting 48"
    date: str  # "Thursday 12 June 2025"
    reference: str  # "TR48/6.1"
    summary: str
    recommendations: Sequence[str] = ()
    figures: str = "kpi"  # which table: finance, kpi, risk, actions
    pages: int = 3
    confidential: bool = False


STYLESHEET = """
@page {
  size: A4;
  margin: 22mm 20mm 24mm 20mm;
  @top-left { content: string(org); font-size: 8pt; color: #555; }
  @top-right { content: string(restriction); font-size: 8pt; font-weight: bold; color: #a40000; }
  @bottom-left { content: string(ref) " · " string(meeting); font-size: 8pt; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; }
}
html { font-family: "Liberation Sans", "DejaVu Sans", sans-serif; }
body { font-size: 10.5pt; line-height: 1.45; color: #1b1b1b; }
.masthead { border-bottom: 2pt solid #1d4e89; padding-bottom: 4mm; margin-bottom: 6mm; }
.org { string-set: org content(); font-weight: bold; color: #1d4e89; font-size: 12pt; margin: 0; }
.meeting { string-set: meeting content(); margin: 1mm 0 0; color: #333; }
.ref { string-set: ref content(); float: right; font-weight: bold; border: 1pt solid #1d4e89;
       padding: 1mm 3mm; color: #1d4e89; }
.restriction .label { string-set: restriction content(); }
.restriction { background: #a40000; color: white; font-weight: bold;
               padding: 2mm 3mm; margin: 0 0 4mm; }
h1 { font-size: 19pt; margin: 0 0 4mm; color: #10233f; }
h2 { font-size: 13pt; color: #1d4e89; margin: 6mm 0 2mm; }
table.meta { border-collapse: collapse; margin-bottom: 5mm; }
table.meta th { text-align: left; padding: 1mm 6mm 1mm 0; color: #555; font-weight: normal; }
table.meta td { padding: 1mm 0; }
ol.recs li { margin-bottom: 1.5mm; }
table.figures { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 3mm 0 4mm; }
table.figures caption { text-align: left; font-weight: bold; margin-bottom: 2mm; }
table.figures th { background: #1d4e89; color: white; text-align: left; padding: 1.5mm 2mm; }
table.figures td { border-bottom: 0.5pt solid #bbb; padding: 1.2mm 2mm; }
table.figures td.num, table.figures th.num { text-align: right; }
table.figures tr.total td { font-weight: bold; border-top: 1pt solid #333; }
.rag-green { color: #1a7f37; font-weight: bold; }
.rag-amber { color: #9a6700; font-weight: bold; }
.rag-red { color: #b3261e; font-weight: bold; }
section.page { break-before: page; }
p.note { font-size: 8.5pt; color: #555; }
"""


def _refuse(url: str, *args: Any, **kwargs: Any) -> Any:
    """The URL fetcher: demo papers have no external resources, so any fetch is a bug."""
    raise ValueError(f"demo papers fetch nothing (asked for {url!r})")


@cache
def _renderer() -> tuple[Any, Any, Any]:
    """WeasyPrint, its font configuration and the parsed stylesheet, made once per process."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    # WeasyPrint reports every layout step at INFO; a seed run would print hundreds of lines.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    fonts = FontConfiguration()
    css = weasyprint.CSS(string=STYLESHEET, font_config=fonts, url_fetcher=_refuse)
    return weasyprint, fonts, css


def render_paper(spec: PaperSpec) -> bytes:
    """The paper as PDF bytes, with exactly ``spec.pages`` pages (1 to MAX_PAGES)."""
    weasyprint, fonts, css = _renderer()
    document = weasyprint.HTML(string=paper_html(spec), url_fetcher=_refuse, base_url=None)
    data: bytes = document.write_pdf(stylesheets=[css], font_config=fonts)
    return data


def paper_html(spec: PaperSpec) -> str:
    if not 1 <= spec.pages <= MAX_PAGES:
        raise ValueError(f"A demo paper has 1 to {MAX_PAGES} pages, not {spec.pages}.")
    # Demo text only (bandit B311).
    rng = random.Random(spec.reference + spec.title)  # nosec B311
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(spec.title)}</title><meta name='author' content='{e(spec.author)}'></head><body>",
        "<header class='masthead'>",
        f"<p class='ref'>{e(spec.reference)}</p>",
        f"<p class='org'>{e(spec.organisation)}</p>",
        f"<p class='meeting'>{e(spec.meeting)}</p>",
        f"<p>{e(spec.date)}</p>",
        "</header>",
    ]
    if spec.confidential:
        parts.append(
            "<p class='restriction'><span class='label'>PART B — CONFIDENTIAL</span>. Not for publication: "
            "exempt information. Trustees only.</p>"
        )
    parts += [
        f"<h1>{e(spec.title)}</h1>",
        "<table class='meta'>",
        f"<tr><th>Author</th><td>{e(spec.author)}</td></tr>",
        f"<tr><th>Purpose</th><td>{e(spec.purpose)}</td></tr>",
        f"<tr><th>Agenda item</th><td>{e(spec.reference.split('/')[-1])}</td></tr>",
        "</table>",
        "<h2>Summary</h2>",
        f"<p>{e(spec.summary)}</p>",
        f"<p>{e(' '.join(rng.sample(SENTENCES, 3)))}</p>",
    ]
    if spec.recommendations:
        parts.append("<h2>Recommendations</h2><p>The board is asked to:</p><ol class='recs'>")
        parts += [f"<li>{e(rec)}</li>" for rec in spec.recommendations]
        parts.append("</ol>")
    figures = _figures(spec.figures, rng)
    if spec.pages == 1:
        parts.append(figures)
    else:
        parts += [
            "<section class='page'><h2>Key figures</h2>",
            f"<p>{e(' '.join(rng.sample(SENTENCES, 2)))}</p>",
            figures,
            "<p class='note'>Figures are unaudited and rounded to the nearest thousand pounds.</p>"
            if spec.figures == "finance"
            else "",
            "</section>",
        ]
    for heading in SECTIONS[: max(0, spec.pages - 2)]:
        parts.append(f"<section class='page'><h2>{e(heading)}</h2>")
        for _ in range(rng.randint(3, 4)):
            parts.append(f"<p>{e(' '.join(rng.sample(SENTENCES, rng.randint(3, 5))))}</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    e = html.escape
    out = [f"<table class='figures'><caption>{e(caption)}</caption><thead><tr>"]
    out += [f"<th class='{'num' if i in numeric else ''}'>{e(h)}</th>" for i, h in enumerate(headers)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        total = row[0].startswith("Total")
        out.append(f"<tr class='{'total' if total else ''}'>")
        for i, cell in enumerate(row):
            css = "num" if i in numeric else ""
            if cell in ("Green", "Amber", "Red"):
                css = f"rag-{cell.lower()}"
            out.append(f"<td class='{css}'>{e(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _money(value: int) -> str:
    return f"({abs(value):,})" if value < 0 else f"{value:,}"


def _figures(kind: str, rng: random.Random) -> str:
    if kind == "finance":
        lines = [
            ("Grants and contracts", 1480),
            ("Donations and legacies", 620),
            ("Charity shops and trading", 410),
            ("Investment income", 55),
            ("Staff costs", -1720),
            ("Premises and utilities", -310),
            ("Programme delivery", -290),
            ("Fundraising costs", -140),
            ("Governance and support", -95),
        ]
        rows: list[list[str]] = []
        totals = [0, 0, 0]
        for name, base in lines:
            budget = base
            actual = round(base * rng.uniform(0.9, 1.08))
            forecast = round(actual * rng.uniform(1.25, 1.4))
            totals = [totals[0] + budget, totals[1] + actual, totals[2] + forecast]
            rows.append([name, _money(budget), _money(actual), _money(actual - budget), _money(forecast)])
        rows.append(["Total net surplus / (deficit)", *map(_money, [totals[0], totals[1], totals[1] - totals[0]])])
        rows[-1].append(_money(totals[2]))
        headers: tuple[str, ...] = ("£k, year to date", "Budget", "Actual", "Variance", "Full-year forecast")
        return _table("Income and expenditure against budget", headers, rows, {1, 2, 3, 4})
    if kind == "risk":
        risks = [
            ("R1", "Loss of local authority contract income", "Chief executive"),
            ("R2", "Safeguarding incident involving a service user", "Director of services"),
            ("R3", "Cyber attack or data breach", "Head of operations"),
            ("R4", "Failure to recruit and retain skilled staff", "Head of people"),
            ("R5", "Community centre building condition", "Head of operations"),
            ("R6", "Reputational damage from a fundraising complaint", "Director of fundraising"),
            ("R7", "Investment values fall sharply", "Treasurer"),
        ]
        rows = []
        for ref, risk, owner in risks:
            likelihood, impact = rng.randint(1, 5), rng.randint(2, 5)
            score = likelihood * impact
            rag = "Red" if score >= 15 else "Amber" if score >= 8 else "Green"
            rows.append([ref, risk, str(likelihood), str(impact), str(score), rag, owner])
        headers = ("Ref", "Risk", "Likelihood", "Impact", "Score", "Rating", "Owner")
        return _table("Strategic risks after mitigation", headers, rows, {2, 3, 4})
    if kind == "actions":
        actions = [
            ("Circulate revised reserves policy for comment", "Treasurer"),
            ("Commission condition survey of the community centre", "Head of operations"),
            ("Report on volunteer retention pilot", "Chief executive"),
            ("Update the register of interests", "Company secretary"),
            ("Arrange trustee safeguarding refresher training", "Company secretary"),
            ("Bring options for the digital inclusion project", "Director of services"),
        ]
        statuses = ("Complete", "In progress", "Not started", "Complete", "Deferred")
        months = ("January", "February", "March", "April", "May", "June", "July", "September", "October")
        rows = [
            [str(n), text, owner, f"{rng.randint(1, 28)} {rng.choice(months)}", rng.choice(statuses)]
            for n, (text, owner) in enumerate(actions, start=1)
        ]
        return _table("Actions from previous meetings", ("No.", "Action", "Owner", "Due", "Status"), rows, set())
    indicators = [
        ("People supported (cumulative)", 2400),
        ("Advice enquiries resolved at first contact (%)", 70),
        ("Volunteer hours given", 9000),
        ("Food parcels distributed", 5200),
        ("Beneficiaries rating service good or excellent (%)", 85),
        ("Staff turnover, rolling 12 months (%)", 18),
    ]
    rows = []
    for name, target in indicators:
        quarters = [round(target * rng.uniform(0.2, 0.3) * q) for q in (1, 2, 3)]
        if "%" in name:
            quarters = [round(target * rng.uniform(0.85, 1.12)) for _ in range(3)]
        ratio = quarters[-1] / (target * (0.75 if "%" not in name else 1))
        rag = "Green" if ratio >= 0.97 else "Amber" if ratio >= 0.85 else "Red"
        rows.append([name, f"{target:,}", *(f"{q:,}" for q in quarters), rag])
    return _table(
        "Performance against annual targets", ("Indicator", "Target", "Q1", "Q2", "Q3", "Status"), rows, {1, 2, 3, 4}
    )
