"""Generate the binary files of the sample knowledge base (PDFs, a DOCX, a PNG).

Run from anywhere: `python examples/make_samples.py`. The output is deterministic, so
re-running it leaves the committed files unchanged. Text is original and fictional
("Halyard Systems"); PDFs use core fonts, so only Latin-1 characters are allowed.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import docx
from fpdf import FPDF

KB = Path(__file__).resolve().parent / "kb"
STAMP = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

Page = tuple[str, list[str]]  # heading, paragraphs

PTO_POLICY: list[Page] = [
    (
        "Paid Time Off (PTO)",
        [
            "Halyard Systems HR policy HR-04. Effective January 1, 2026, for all full-time "
            "employees. Part-time employees accrue PTO pro rata to their contracted hours.",
            "Accrual: full-time employees accrue 20 days of paid time off per calendar year, "
            "credited monthly at 1.67 days.",
            "Carry-over: you may carry over a maximum of 5 unused days into the next year. "
            "Carried-over days expire on March 31. Days above the limit are forfeited and are "
            "not paid out, except where local law requires it.",
            "Requesting time off: request PTO in Workday at least 2 weeks ahead for absences "
            "of 3 days or more; shorter absences need 2 business days' notice. Managers "
            "approve or decline within 3 business days.",
        ],
    ),
    (
        "Sick Leave",
        [
            "Employees receive 10 days of paid sick leave per calendar year, separate from "
            "PTO. Sick leave does not carry over and is not paid out when you leave.",
            "Tell your manager before your usual start time on the first day of absence and "
            "record the day in Workday under Absence > Sick.",
            "A doctor's note is needed for absences longer than 3 consecutive working days.",
            "Sick leave may also be used to care for a sick child, partner or parent.",
        ],
    ),
    (
        "Company Holidays",
        [
            "In 2026 US employees have 11 paid company holidays and UK employees have 9. The "
            "dates for each region are listed in holidays-2026.csv.",
            "Halyard Day, our founding day, is a company-wide holiday on September 18.",
            "Every employee also gets 2 floating holidays per year for days of personal or "
            "cultural significance. Floating holidays do not carry over.",
            "Questions about time off go to the HR team in #ask-hr or hr@halyard.example.",
        ],
    ),
]

EXPENSE_FORM_GUIDE: list[Page] = [
    (
        "Filling in form EXP-7",
        [
            "EXP-7 is the only form Finance accepts for reimbursements. Open it in the "
            "Finance portal at finance.halyard.example > Claims > New EXP-7.",
            "Cost centre: four digits, for example 4100 for Engineering or 4200 for IT.",
            "Project code: optional; use it when the cost is billable to a customer.",
            "Receipts: upload a PDF, JPG or PNG of every receipt over $25 (10 MB per file).",
            "Use one form per trip, or one form per month for recurring costs.",
        ],
    ),
    (
        "Mileage and common rejections",
        [
            "Mileage in a personal car is reimbursed at $0.70 per mile. Enter the start and "
            "end address; the portal calculates the distance.",
            "Claims are most often sent back for: a missing receipt for an item over $25; "
            "submission more than 30 days after the expense; alcohol claimed without "
            "client-entertainment approval; a wrong cost centre.",
        ],
    ),
]

BENEFIT_PLANS = [
    ("Plan", "Monthly employee cost", "Deductible", "Notes"),
    ("Harbor PPO", "$85", "$500", "Nationwide network, no referrals needed"),
    ("Harbor HDHP + HSA", "$25", "$1,600", "Halyard adds $750 a year to your HSA"),
    ("Keel HMO", "$40", "$250", "Regional network; choose a primary care doctor"),
]


def write_pdf(path: Path, title: str, pages: list[Page]) -> None:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author("Halyard Systems")
    pdf.set_creation_date(STAMP)
    pdf.set_auto_page_break(auto=True, margin=20)
    for heading, paragraphs in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", style="B", size=16)
        pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    path.write_bytes(bytes(pdf.output()))


def write_benefits_guide(path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Benefits Guide 2026"
    document.core_properties.author = "Halyard People Team"
    document.core_properties.created = STAMP.replace(tzinfo=None)
    document.core_properties.modified = STAMP.replace(tzinfo=None)
    document.add_heading("Benefits Guide 2026", level=0)
    document.add_paragraph(
        "This guide summarises the benefits Halyard Systems offers to US employees. "
        "Enrol during your first 30 days or in open enrolment, November 1 to 15."
    )
    document.add_heading("Health insurance", level=1)
    document.add_paragraph("Halyard pays 90% of the premium for you and 75% for dependants.")
    table = document.add_table(rows=0, cols=len(BENEFIT_PLANS[0]))
    for values in BENEFIT_PLANS:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    document.add_heading("Dental and vision", level=2)
    document.add_paragraph("Dental (BrightSmile) and vision (ClearView) are fully company-paid.")
    document.add_heading("Retirement: 401(k)", level=1)
    document.add_paragraph(
        "Halyard matches 100% of your 401(k) contributions up to 4% of base salary. The "
        "match vests immediately. New employees are enrolled at 3%; change your rate at any "
        "time in the plan portal."
    )
    document.add_heading("Employee Stock Purchase Plan (ESPP)", level=1)
    document.add_paragraph(
        "The ESPP lets you buy Halyard shares at a 15% discount through payroll deductions "
        "of 1% to 10% of base salary. Offering periods last 6 months, and the price is the "
        "lower of the share price at the start or the end of the period, minus 15%."
    )
    document.add_paragraph(
        "Enrolment windows open twice a year, in May and November (the first two weeks of "
        "each month). Purchases are capped at $25,000 of shares per calendar year."
    )
    document.add_heading("Wellbeing", level=1)
    for item in (
        "Wellness stipend: $50 per month for gyms, classes or apps, paid through payroll.",
        "Employee Assistance Programme: free, confidential counselling, 6 sessions per topic.",
    ):
        document.add_paragraph(item, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(fixed_zip_dates(buffer.getvalue()))


def fixed_zip_dates(data: bytes) -> bytes:
    """The same zip with every entry dated STAMP, so the DOCX bytes are reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=STAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_png(path: Path, size: int = 16, rgb: tuple[int, int, int] = (31, 58, 96)) -> None:
    """A tiny solid-colour PNG, written by hand so no imaging library is needed."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(row * size, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def main() -> None:
    confluence = KB / "confluence"
    write_pdf(KB / "hr" / "pto-policy.pdf", "Paid Time Off Policy", PTO_POLICY)
    write_benefits_guide(KB / "hr" / "benefits-guide.docx")
    write_pdf(
        confluence / "attachments" / "1003" / "expense-form-guide.pdf",
        "EXP-7 Expense Form Guide",
        EXPENSE_FORM_GUIDE,
    )
    write_png(confluence / "images" / "icons" / "contenttypes" / "home_page_16.png")


if __name__ == "__main__":
    main()
