"""Files for the import tests, made in memory."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from imports import services

USE_CASE_HEADER = [
    "External ID",
    "Title",
    "Summary",
    "Category",
    "Audience",
    "Input data classification",
    "Intended style",
    "Requests a month",
    "Average input tokens",
    "Average output tokens",
    "Task 1",
    "Task 1 performer",
    "Task 2",
    "Task 2 performer",
    "KPI 1",
    "KPI 1 unit",
    "KPI 1 target",
]


def use_case_row(external_id, title="広告コピー案の生成", **overrides):
    row = {
        "External ID": external_id,
        "Title": title,
        "Summary": "広告コピーの案を出し、担当者が選ぶ。",
        "Category": "Creative production",
        "Audience": "internal",
        "Input data classification": "Internal",
        "Intended style": "Closed: vendor API",
        "Requests a month": "1,000",
        "Average input tokens": "800",
        "Average output tokens": "400",
        "Task 1": "コピー案を出す",
        "Task 1 performer": "AI may do it",
        "Task 2": "採用案を決める",
        "Task 2 performer": "human",
        "KPI 1": "クリック率",
        "KPI 1 unit": "%",
        "KPI 1 target": "2.5",
    }
    row.update(overrides)
    return [row.get(name, "") for name in USE_CASE_HEADER]


def vendors_file(name="Imported vendor"):
    return csv_bytes([["Name", "Kind"], [name, "closed_api"]])


def csv_bytes(rows, encoding="utf-8", bom=False):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_file(content, name="import.csv"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def upload(user, kind, content, name="import.csv"):
    return services.upload(user, kind, as_file(content, name))
