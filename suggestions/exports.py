"""Streaming .xlsx export of ideas (openpyxl write-only: memory stays flat for any row count)."""

import tempfile

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from suggestions.models import Channel, IdentityType, Status
from suggestions.privacy import mask_name, mask_phone

# Spreadsheet programs run text starting with these as a formula (CSV/XLSX injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def cell_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def suggestions_xlsx_write(*, queryset: QuerySet, reveal: bool, fileobj) -> int:
    """Write the ideas to fileobj as .xlsx; contact masked unless reveal. Returns the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("金点子"))
    sheet.append(
        [
            _("回执号"),
            _("标题"),
            _("内容"),
            _("建议单位"),
            _("主题"),
            _("渠道"),
            _("身份"),
            _("状态"),
            _("平均分"),
            _("评分人数"),
            _("收到时间"),
            _("姓名"),
            _("手机号"),
        ]
    )
    channels, identities, statuses = (
        dict(Channel.choices),
        dict(IdentityType.choices),
        dict(Status.choices),
    )
    rows = queryset.values_list(
        "receipt",
        "title",
        "content",
        "unit__name",
        "topic__name",
        "channel",
        "identity_type",
        "status",
        "score_mean",
        "score_count",
        "received_at",
        "name",
        "phone",
    )
    count = 0
    for row in rows.iterator(chunk_size=CHUNK):
        (receipt, title, content, unit, topic, channel, identity, status) = row[:8]
        score_mean, score_count, received_at, name, phone = row[8:]
        if not reveal:
            name, phone = mask_name(name), mask_phone(phone)
        sheet.append(
            [
                cell_safe(receipt),
                cell_safe(title),
                cell_safe(content),
                cell_safe(unit),
                cell_safe(topic),
                str(channels.get(channel, channel)),
                str(identities.get(identity, identity)),
                str(statuses.get(status, status)),
                round(score_mean, 2) if score_mean is not None else None,
                score_count,
                timezone.localtime(received_at).replace(tzinfo=None),
                cell_safe(name),
                cell_safe(phone),
            ]
        )
        count += 1
    workbook.save(fileobj)
    return count


def suggestions_xlsx_tempfile(*, queryset: QuerySet, reveal: bool):
    """The export in a temporary file (rewound), and its row count."""
    fileobj = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    count = suggestions_xlsx_write(queryset=queryset, reveal=reveal, fileobj=fileobj)
    fileobj.seek(0)
    return fileobj, count
